"""Stand-ins for systemd's manager and RAUC's installer, exported with dbus-next on a
private bus daemon, so the agent's real D-Bus wrappers (orpheus.dbus) send their real
messages: method names, signatures, Subscribe and the JobRemoved/Completed signals.

dbus-next reads D-Bus signatures from annotations; `types` puts them there, so the Python
annotations in the source stay ordinary ones.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from dbus_next.aio.message_bus import MessageBus
from dbus_next.constants import PropertyAccess
from dbus_next.errors import DBusError
from dbus_next.service import ServiceInterface, dbus_property, method
from dbus_next.service import signal as dbus_signal
from dbus_next.signature import Variant

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

F = TypeVar("F", bound=Callable[..., Any])

FAILING_UNIT = "broken.service"
HANGING_UNIT = "hanging.service"  # its job never ends
UNIT_PATH = "/org/freedesktop/systemd1/unit/stand_2din"


def types(out: str = "", **ins: str) -> Callable[[F], F]:
    """Declares a member's D-Bus signature: out for its return value, ins per argument."""

    def declare(function: F) -> F:
        function.__annotations__ = {**ins, **({"return": out} if out else {})}
        return function

    return declare


class Manager(ServiceInterface):
    """org.freedesktop.systemd1.Manager: each unit call queues a job that ends a moment after
    the reply ('failed' for FAILING_UNIT, never for HANGING_UNIT), announced to subscribers
    by JobRemoved."""

    def __init__(self) -> None:
        super().__init__("org.freedesktop.systemd1.Manager")
        self.calls: list[tuple[str, str, str]] = []
        self.transient: dict[str, dict[str, Any]] = {}  # unit -> its properties
        self.active: set[str] = set()  # started and not stopped since
        self.loaded = ""  # the unit LoadUnit named last: the one UNIT_PATH stands for
        self.subscribed = False
        self._next_job = 1

    def _queue(self, member: str, unit: str, mode: str) -> str:
        self.calls.append((member, unit, mode))
        job_id, self._next_job = self._next_job, self._next_job + 1
        path = f"/org/freedesktop/systemd1/job/{job_id}"
        result = "failed" if unit == FAILING_UNIT else "done"
        if self.subscribed and unit != HANGING_UNIT:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, self.JobRemoved, job_id, path, unit, result)
        return path

    @method()
    @types()
    def Subscribe(self) -> None:
        self.subscribed = True

    @method()
    @types("o", unit="s", mode="s")
    def StartUnit(self, unit: str, mode: str) -> str:
        return self._queue("StartUnit", unit, mode)

    @method()
    @types("o", unit="s", mode="s")
    def StopUnit(self, unit: str, mode: str) -> str:
        self.active.discard(unit)
        return self._queue("StopUnit", unit, mode)

    @method()
    @types("o", unit="s")
    def LoadUnit(self, unit: str) -> str:
        self.loaded = unit
        return UNIT_PATH

    @method()
    @types("o", unit="s", mode="s")
    def RestartUnit(self, unit: str, mode: str) -> str:
        return self._queue("RestartUnit", unit, mode)

    @method()
    @types("o", unit="s", mode="s")
    def ReloadOrRestartUnit(self, unit: str, mode: str) -> str:
        return self._queue("ReloadOrRestartUnit", unit, mode)

    @method()
    @types("o", unit="s", mode="s", properties="a(sv)", aux="a(sa(sv))")
    def StartTransientUnit(
        self, unit: str, mode: str, properties: list[Any], aux: list[Any]
    ) -> str:
        self.transient[unit] = {name: value.value for name, value in properties}
        self.active.add(unit)
        return self._queue("StartTransientUnit", unit, mode)

    @dbus_signal()
    @types("uoss")
    def JobRemoved(self, job_id: int, path: str, unit: str, result: str) -> list[Any]:
        return [job_id, path, unit, result]


class Unit(ServiceInterface):
    """org.freedesktop.systemd1.Unit at UNIT_PATH: the ActiveState of the unit the manager
    loaded last (the wrappers load a unit, then read its state)."""

    def __init__(self, manager: Manager) -> None:
        super().__init__("org.freedesktop.systemd1.Unit")
        self._manager = manager

    @dbus_property(access=PropertyAccess.READ)
    @types("s")
    def ActiveState(self) -> str:
        return "active" if self._manager.loaded in self._manager.active else "inactive"


class Installer(ServiceInterface):
    """de.pengutronix.rauc.Installer with two slots; InstallBundle reports Progress and
    Completed (code 1 and LastError for a source containing 'bad')."""

    def __init__(self) -> None:
        super().__init__("de.pengutronix.rauc.Installer")
        self.marks: list[tuple[str, str]] = []
        self._progress = [0, "idle", 1]
        self._last_error = ""

    @method()
    @types("a(sa{sv})")
    def GetSlotStatus(self) -> list[Any]:
        return [
            ["rootfs.0", {"bootname": Variant("s", "A"), "boot-status": Variant("s", "good")}],
            ["rootfs.1", {"bootname": Variant("s", "B"), "boot-status": Variant("s", "bad")}],
        ]

    @method()
    @types("s")
    def GetPrimary(self) -> str:
        return "rootfs.0"

    @method()
    @types("ss", state="s", slot="s")
    def Mark(self, state: str, slot: str) -> list[str]:
        self.marks.append((state, slot))
        return ["rootfs.0", f"marked slot rootfs.0 as {state}"]

    @method()
    @types("a{sv}", source="s", args="a{sv}")
    def InspectBundle(self, source: str, args: dict[str, Any]) -> dict[str, Variant]:
        if "unsigned" in source:
            raise DBusError(
                "org.gtk.GDBus.UnmappedGError.Quark._g_2dio_2derror_2dquark.Code0",
                "signature verification failed: unable to get local issuer",
            )
        update = {"compatible": Variant("s", "orpheus-x86_64"), "version": Variant("s", "1.1.0")}
        orpheus = {"min-version": Variant("s", "1.0.0")}
        return {
            "update": Variant("a{sv}", update),
            "meta": Variant("a{sv}", {"orpheus": Variant("a{sv}", orpheus)}),
        }

    @method()
    @types(source="s", args="a{sv}")
    def InstallBundle(self, source: str, args: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self._install(source))

    async def _install(self, source: str) -> None:
        for percent, text in ((10, "Checking bundle"), (60, "Copying image"), (100, "Done")):
            await asyncio.sleep(0.02)
            self._progress = [percent, text, 1]
            self.emit_properties_changed({"Progress": self._progress})
        failed = "bad" in source
        self._last_error = "Slot rootfs.1 is not writable" if failed else ""
        self.Completed(1 if failed else 0)

    @dbus_signal()
    @types("i")
    def Completed(self, code: int) -> int:
        return code

    @dbus_property(access=PropertyAccess.READ)
    @types("(isi)")
    def Progress(self) -> list[Any]:
        return self._progress

    @dbus_property(access=PropertyAccess.READ)
    @types("s")
    def LastError(self) -> str:
        return self._last_error


class Services:
    """The stand-ins, served from their own thread and event loop."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.manager = Manager()
        self.unit = Unit(self.manager)
        self.installer = Installer()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the stand-in services did not come up")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._export())
        self._ready.set()
        self._loop.run_forever()

    async def _export(self) -> None:
        for name, path, interface in (
            ("org.freedesktop.systemd1", "/org/freedesktop/systemd1", self.manager),
            ("de.pengutronix.rauc", "/", self.installer),
        ):
            connection: Any = await MessageBus(bus_address=self.address).connect()
            connection.export(path, interface)
            if interface is self.manager:
                connection.export(UNIT_PATH, self.unit)
            await connection.request_name(name)


@contextmanager
def private_bus(workdir: Path) -> Iterator[Services]:
    """A dbus-daemon of its own with the stand-ins on it; DBUS_SYSTEM_BUS_ADDRESS points the
    agent's wrappers at it for the duration."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        raise FileNotFoundError("dbus-daemon")
    socket = workdir / "bus.socket"
    config = workdir / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=socket))
    process = subprocess.Popen(
        [daemon, "--nofork", "--nopidfile", f"--config-file={config}", "--print-address"],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    previous = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    services = Services(address)
    try:
        services.start()
        yield services
    finally:
        services.stop()
        if previous is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = previous
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
