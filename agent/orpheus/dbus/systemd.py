"""systemd's manager (org.freedesktop.systemd1): starting, stopping, reloading units and
rebooting, as `systemctl` does it, without running systemctl.

Unit operations wait for their job to end, like systemctl: a reload that fails (snmpd
refusing its configuration) is an error, not a queued job that nobody looks at.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from dbus_next.aio.message_bus import MessageBus
from dbus_next.message import Message
from dbus_next.signature import Variant

from orpheus.dbus import bus
from orpheus.dbus.bus import BusError

BUS_NAME = "org.freedesktop.systemd1"
OBJECT_PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"
UNIT_INTERFACE = "org.freedesktop.systemd1.Unit"

# systemd's own default start timeout is 90 s; a job it has not ended by then is stuck.
JOB_TIMEOUT_SECONDS = 120.0
REBOOT_TARGET = "reboot.target"

_VERBS = {
    "StartUnit": "start",
    "StopUnit": "stop",
    "RestartUnit": "restart",
    "ReloadOrRestartUnit": "reload",
    "StartTransientUnit": "start",
}
# A transient unit's properties: (name, D-Bus signature, value), e.g. ("Type", "s", "vfat").
UnitProperty = tuple[str, str, Any]


class SystemdError(BusError):
    """systemd refused or failed a job, or cannot be reached; str() is one line."""


SERVICE = bus.Service(BUS_NAME, SystemdError, "systemd")


class Systemd(Protocol):
    def start_unit(self, unit: str) -> None: ...

    def stop_unit(self, unit: str) -> None: ...

    def restart_unit(self, unit: str) -> None: ...

    def reload_or_restart_unit(self, unit: str) -> None: ...

    def start_transient_unit(self, unit: str, properties: Sequence[UnitProperty]) -> None:
        """Creates and starts a unit that lives until it stops (a mount of a USB drive)."""
        ...

    def reboot(self) -> None:
        """Queues the orderly reboot (services stopped first); returns before it happens."""
        ...

    def active_state(self, unit: str) -> str:
        """The unit's ActiveState: active, inactive (also a unit gone or never loaded),
        failed, activating, deactivating."""
        ...


class DbusSystemd:
    """The Systemd protocol over the system bus, one connection per operation."""

    def __init__(self, job_timeout: float = JOB_TIMEOUT_SECONDS) -> None:
        self._timeout = job_timeout

    def start_unit(self, unit: str) -> None:
        self._job("StartUnit", unit)

    def stop_unit(self, unit: str) -> None:
        self._job("StopUnit", unit)

    def restart_unit(self, unit: str) -> None:
        self._job("RestartUnit", unit)

    def reload_or_restart_unit(self, unit: str) -> None:
        self._job("ReloadOrRestartUnit", unit)

    def start_transient_unit(self, unit: str, properties: Sequence[UnitProperty]) -> None:
        body = [unit, "fail", [[name, Variant(kind, value)] for name, kind, value in properties]]
        self._job("StartTransientUnit", unit, "ssa(sv)a(sa(sv))", [*body, []])

    def reboot(self) -> None:
        # What `systemctl reboot` does as root without logind: the reboot target, which
        # stops every service in order; Manager.Reboot() would skip that.
        try:
            bus.run(SERVICE, _enqueue(REBOOT_TARGET, "replace-irreversibly"), self._timeout)
        except SystemdError as error:
            raise SystemdError(f"cannot reboot: {error}") from error

    def active_state(self, unit: str) -> str:
        try:
            return bus.run(SERVICE, _active_state(unit), self._timeout)
        except SystemdError as error:
            raise SystemdError(f"cannot read the state of {unit}: {error}") from error

    def _job(self, member: str, unit: str, signature: str = "ss", body: Sequence[Any] = ()) -> None:
        call = (member, signature, list(body) or [unit, "replace"])
        try:
            bus.run(SERVICE, _run_job(call, unit), self._timeout)
        except SystemdError as error:
            raise SystemdError(f"cannot {_VERBS[member]} {unit}: {error}") from error


async def _active_state(unit: str) -> str:
    """LoadUnit (not GetUnit): a transient unit already collected answers inactive rather
    than an error."""
    connection = await bus.connect(SERVICE)
    try:
        (path,) = await bus.call(connection, SERVICE, OBJECT_PATH, MANAGER, "LoadUnit", "s", [unit])
        (state,) = await bus.call(
            connection, SERVICE, str(path), bus.PROPERTIES, "Get", "ss",
            [UNIT_INTERFACE, "ActiveState"],
        )  # fmt: skip
        return str(bus.unwrap(state))
    finally:
        bus.disconnect(connection)


async def _enqueue(unit: str, mode: str) -> None:
    connection = await bus.connect(SERVICE)
    try:
        await bus.call(connection, SERVICE, OBJECT_PATH, MANAGER, "StartUnit", "ss", [unit, mode])
    finally:
        bus.disconnect(connection)


async def _run_job(call: tuple[str, str, list[Any]], unit: str) -> None:
    """Makes the call (member, signature, body: a job for unit) and waits for the job's
    JobRemoved signal."""
    member, signature, body = call
    connection = await bus.connect(SERVICE)
    ended: dict[str, str] = {}  # job path -> result, for jobs that end before the reply
    changed = asyncio.Event()

    def handler(message: Message) -> None:
        if message.member == "JobRemoved" and message.interface == MANAGER:
            _id, path, _unit, result = message.body
            ended[str(path)] = str(result)
            changed.set()

    try:
        connection.add_message_handler(handler)
        await bus.add_match(
            connection,
            f"type='signal',sender='{BUS_NAME}',interface='{MANAGER}',member='JobRemoved'",
        )
        await _subscribe(connection)
        (job,) = await bus.call(connection, SERVICE, OBJECT_PATH, MANAGER, member, signature, body)
        while str(job) not in ended:
            changed.clear()
            await changed.wait()
        result = ended[str(job)]
        if result != "done":
            raise SystemdError(f"the job ended '{result}' (see journalctl -u {unit})")
    finally:
        bus.disconnect(connection)


async def _subscribe(connection: MessageBus) -> None:
    """systemd sends job signals only to clients that subscribed."""
    await bus.call(connection, SERVICE, OBJECT_PATH, MANAGER, "Subscribe")
