"""RAUC's D-Bus service (de.pengutronix.rauc.Installer).

Install subscribes to the service's PropertiesChanged (Progress) and Completed signals before
it calls InstallBundle, so the end of a fast install is never missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from dbus_next.aio.message_bus import MessageBus
from dbus_next.message import Message

from orpheus.dbus import bus
from orpheus.dbus.bus import BusError

BUS_NAME = "de.pengutronix.rauc"
OBJECT_PATH = "/"
INSTALLER = "de.pengutronix.rauc.Installer"

# Status and marks answer at once; InspectBundle of a URL fetches the bundle's signature.
CALL_TIMEOUT_SECONDS = 120.0
# Guards only against a Completed signal that never comes: a streamed install of a whole
# root filesystem over a slow link takes long, and RAUC goes on if the agent stops waiting.
INSTALL_TIMEOUT_SECONDS = 4 * 3600.0

ProgressCallback = Callable[[int, str], None]
SlotStatus = dict[str, dict[str, Any]]


class RaucError(BusError):
    """RAUC refused or failed, or cannot be reached; str() is RAUC's own message."""


SERVICE = bus.Service(BUS_NAME, RaucError, "RAUC")


@dataclass(frozen=True)
class BundleInfo:
    compatible: str
    version: str
    build: str
    meta: dict[str, str]
    raw: dict[str, Any]


class Rauc(Protocol):
    def mark(self, state: str, slot: str = "booted") -> str:
        """Marks a slot 'good', 'bad' or 'active'; returns RAUC's message."""
        ...

    def slot_status(self) -> SlotStatus:
        """Slot name ("rootfs.0") -> its status (bootname, state, boot-status, ...)."""
        ...

    def primary(self) -> str:
        """The slot name the bootloader tries first."""
        ...

    def inspect(self, source: str) -> BundleInfo:
        """Checks the bundle's signature against the keyring and reads its manifest."""
        ...

    def install(self, source: str, on_progress: ProgressCallback) -> None:
        """Writes the bundle to the other slot; returns once RAUC reports it completed."""
        ...


def bundle_info(plain: dict[str, Any]) -> BundleInfo:
    """InspectBundle's answer (Variants unwrapped) as the fields the update policy reads."""
    update = plain.get("update", {})
    meta = plain.get("meta", {}).get("orpheus", {})
    return BundleInfo(
        compatible=str(update.get("compatible", "")),
        version=str(update.get("version", "")),
        build=str(update.get("build", "")),
        meta={str(k): str(v) for k, v in meta.items()},
        raw=plain,
    )


class DbusRauc:
    """The Rauc protocol over the system bus, one connection per call."""

    def mark(self, state: str, slot: str = "booted") -> str:
        _name, message = self._call("Mark", "ss", [state, slot])
        return str(message)

    def slot_status(self) -> SlotStatus:
        (slots,) = self._call("GetSlotStatus")
        return {str(name): bus.unwrap(status) for name, status in slots}

    def primary(self) -> str:
        (name,) = self._call("GetPrimary")
        return str(name)

    def inspect(self, source: str) -> BundleInfo:
        (info,) = self._call("InspectBundle", "sa{sv}", [source, {}])
        return bundle_info(bus.unwrap(info))

    def install(self, source: str, on_progress: ProgressCallback) -> None:
        bus.run(SERVICE, _install(source, on_progress), INSTALL_TIMEOUT_SECONDS)

    def _call(self, member: str, signature: str = "", body: list[Any] | None = None) -> list[Any]:
        return bus.run(SERVICE, _call(member, signature, body or []), CALL_TIMEOUT_SECONDS)


async def _call(member: str, signature: str, body: list[Any]) -> list[Any]:
    connection = await bus.connect(SERVICE)
    try:
        return await bus.call(connection, SERVICE, OBJECT_PATH, INSTALLER, member, signature, body)
    finally:
        bus.disconnect(connection)


async def _install(source: str, on_progress: ProgressCallback) -> None:
    connection = await bus.connect(SERVICE)
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def handler(message: Message) -> None:
        if message.member == "Completed" and not done.done():
            done.set_result(int(message.body[0]))
        elif message.member == "PropertiesChanged":
            changed = bus.unwrap(message.body[1])
            if "Progress" in changed:
                percent, text, _depth = changed["Progress"]
                on_progress(int(percent), str(text))

    try:
        connection.add_message_handler(handler)
        for rule in (
            f"type='signal',sender='{BUS_NAME}',interface='{INSTALLER}',member='Completed'",
            f"type='signal',sender='{BUS_NAME}',interface='{bus.PROPERTIES}'",
        ):
            await bus.add_match(connection, rule)
        await bus.call(connection, SERVICE, OBJECT_PATH, INSTALLER, "InstallBundle", "sa{sv}",
                       [source, {}])  # fmt: skip
        result = await done
        if result != 0:
            raise RaucError(await _last_error(connection) or f"install failed (code {result})")
    finally:
        bus.disconnect(connection)


async def _last_error(connection: MessageBus) -> str:
    (value,) = await bus.call(
        connection, SERVICE, OBJECT_PATH, bus.PROPERTIES, "Get", "ss", [INSTALLER, "LastError"]
    )
    return str(bus.unwrap(value))
