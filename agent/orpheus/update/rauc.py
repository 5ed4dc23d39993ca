"""RAUC's D-Bus service (de.pengutronix.rauc.Installer) through dbus-next.

One short-lived system bus connection per call. Install subscribes to the service's
PropertiesChanged (Progress) and Completed signals before it calls InstallBundle, so the
end of a fast install is never missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BUS_NAME = "de.pengutronix.rauc"
OBJECT_PATH = "/"
INSTALLER = "de.pengutronix.rauc.Installer"
PROPERTIES = "org.freedesktop.DBus.Properties"

ProgressCallback = Callable[[int, str], None]


class RaucError(RuntimeError):
    pass


@dataclass(frozen=True)
class BundleInfo:
    compatible: str
    version: str
    build: str
    meta: dict[str, str]
    raw: dict[str, Any]


def unwrap(value: Any) -> Any:
    """dbus-next Variants (nested in dicts and lists) to plain Python values."""
    from dbus_next import Variant

    if isinstance(value, Variant):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def _error_text(reply: Any, member: str) -> str:
    """RAUC's own message (it names the cause: signature, compatible, ...)."""
    detail = reply.body[0] if reply is not None and reply.body else f"no reply to {member}"
    return str(detail).strip()


async def _connect() -> Any:
    from dbus_next import BusType
    from dbus_next.aio import MessageBus

    try:
        return await MessageBus(bus_type=BusType.SYSTEM).connect()
    except OSError as error:
        raise RaucError(f"cannot reach the system bus: {error}") from error


async def _call_on(bus: Any, member: str, signature: str, body: list[Any], iface: str) -> list[Any]:
    from dbus_next import Message, MessageType

    reply = await bus.call(
        Message(
            destination=BUS_NAME,
            path=OBJECT_PATH,
            interface=iface,
            member=member,
            signature=signature,
            body=body,
        )
    )
    if reply is None or reply.message_type == MessageType.ERROR:
        raise RaucError(_error_text(reply, member))
    return list(reply.body)


async def _call(
    member: str, signature: str = "", body: list[Any] | None = None, iface: str = INSTALLER
) -> list[Any]:
    bus = await _connect()
    try:
        return await _call_on(bus, member, signature, body or [], iface)
    finally:
        bus.disconnect()


def mark(state: str, slot: str = "booted") -> str:
    """Marks a slot 'good', 'bad' or 'active'; returns RAUC's message."""
    _name, message = asyncio.run(_call("Mark", "ss", [state, slot]))
    return str(message)


def slot_status() -> dict[str, dict[str, Any]]:
    """GetSlotStatus: slot name ("rootfs.0") -> its status (bootname, state, boot-status...)."""
    (slots,) = asyncio.run(_call("GetSlotStatus"))
    return {str(name): unwrap(status) for name, status in slots}


def primary() -> str:
    """GetPrimary: the slot name the bootloader will try first."""
    (name,) = asyncio.run(_call("GetPrimary"))
    return str(name)


def inspect(source: str) -> BundleInfo:
    """InspectBundle: checks the signature against the keyring and reads the manifest."""
    (info,) = asyncio.run(_call("InspectBundle", "sa{sv}", [source, {}]))
    plain = unwrap(info)
    update = plain.get("update", {})
    meta = plain.get("meta", {}).get("orpheus", {})
    return BundleInfo(
        compatible=str(update.get("compatible", "")),
        version=str(update.get("version", "")),
        build=str(update.get("build", "")),
        meta={str(k): str(v) for k, v in meta.items()},
        raw=plain,
    )


async def _install(source: str, on_progress: ProgressCallback) -> None:
    bus = await _connect()
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def handler(message: Any) -> None:
        if message.member == "Completed" and not done.done():
            done.set_result(int(message.body[0]))
        elif message.member == "PropertiesChanged":
            changed = unwrap(message.body[1])
            if "Progress" in changed:
                percent, text, _depth = changed["Progress"]
                on_progress(int(percent), str(text))

    try:
        bus.add_message_handler(handler)
        for rule in (
            f"type='signal',sender='{BUS_NAME}',interface='{INSTALLER}',member='Completed'",
            f"type='signal',sender='{BUS_NAME}',interface='{PROPERTIES}'",
        ):
            await _call_bus_add_match(bus, rule)
        await _call_on(bus, "InstallBundle", "sa{sv}", [source, {}], INSTALLER)
        result = await done
        if result != 0:
            (last_error,) = await _call_on(bus, "Get", "ss", [INSTALLER, "LastError"], PROPERTIES)
            raise RaucError(str(unwrap(last_error)) or f"install failed (code {result})")
    finally:
        bus.disconnect()


async def _call_bus_add_match(bus: Any, rule: str) -> None:
    from dbus_next import Message

    await bus.call(
        Message(
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            member="AddMatch",
            signature="s",
            body=[rule],
        )
    )


def install(source: str, on_progress: ProgressCallback) -> None:
    """InstallBundle; returns when RAUC reports Completed, raises RaucError on failure."""
    asyncio.run(_install(source, on_progress))
