"""Where tcpdump runs: as a transient systemd unit over D-Bus on the unit (systemd owns it,
stops it after its duration even if the agent dies, and sandboxes it), or as the agent's own
child (runner.spawn) where the agent is not under systemd (the host test unit in a network
namespace: a transient unit would capture the host's namespace, not the unit's)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Protocol

from orpheus.dbus.systemd import Systemd, SystemdError, UnitProperty
from orpheus.runner import Child, CommandError, last_line, spawn

STOP_GRACE_SECONDS = 5.0
OUTPUT = "tcpdump.log"  # the agent's child's output, in the capture's directory


class RunFailed(RuntimeError):
    """tcpdump could not be started or stopped; one line."""


class Running(Protocol):
    def result(self) -> str | None:
        """None while tcpdump runs; then "" if it ended well, else why it failed."""
        ...

    def stop(self) -> None: ...


class Runner(Protocol):
    def start(self, name: str, argv: list[str], directory: Path, max_seconds: int) -> Running: ...

    def stop_leftover(self, name: str) -> None:
        """Stops a capture an earlier agent started (best effort)."""
        ...


def unit_name(name: str) -> str:
    return f"orpheus-capture-{name}.service"


def unit_properties(argv: list[str], directory: Path, max_seconds: int) -> list[UnitProperty]:
    return [
        ("Description", "s", f"Orpheus packet capture {directory.name}"),
        # dbus-next takes a struct as a list, never a tuple.
        ("ExecStart", "a(sasb)", [[argv[0], argv, False]]),
        # systemd ends it at its duration even if the agent is gone (+5 s: the agent's own stop
        # comes first and ends it cleanly).
        # No CollectMode: a unit that failed stays loaded as failed, so its watcher sees
        # that (collected at once, it would read as inactive: ended well).
        ("RuntimeMaxUSec", "t", (max_seconds + 5) * 1_000_000),
        ("ProtectSystem", "s", "strict"),
        ("ProtectHome", "s", "yes"),
        ("ReadWritePaths", "as", [str(directory)]),
        ("PrivateTmp", "b", True),
        ("NoNewPrivileges", "b", True),
    ]


class SystemdUnit:
    def __init__(self, systemd: Systemd, unit: str) -> None:
        self._systemd = systemd
        self._unit = unit

    def result(self) -> str | None:
        try:
            state = self._systemd.active_state(self._unit)
        except SystemdError as error:
            return str(error)
        if state in ("active", "activating", "reloading"):
            return None
        return "" if state != "failed" else f"tcpdump failed (see journalctl -u {self._unit})"

    def stop(self) -> None:
        try:
            self._systemd.stop_unit(self._unit)
        except SystemdError as error:
            raise RunFailed(str(error)) from error


class SystemdRunner:
    def __init__(self, systemd: Systemd) -> None:
        self._systemd = systemd

    def start(self, name: str, argv: list[str], directory: Path, max_seconds: int) -> Running:
        unit = unit_name(name)
        try:
            self._systemd.start_transient_unit(unit, unit_properties(argv, directory, max_seconds))
        except SystemdError as error:
            raise RunFailed(str(error)) from error
        return SystemdUnit(self._systemd, unit)

    def stop_leftover(self, name: str) -> None:
        with contextlib.suppress(SystemdError):  # already gone: what stop_leftover is for
            self._systemd.stop_unit(unit_name(name))


class ChildProcess:
    def __init__(self, child: Child, output: Path) -> None:
        self._child = child
        self._output = output
        self._stopped = False

    def result(self) -> str | None:
        code = self._child.poll()
        if code is None:
            return None
        if code == 0 or self._stopped:
            return ""
        try:
            said = last_line(self._output.read_text(errors="replace"))
        except OSError:
            said = ""
        return f"tcpdump exited {code}" + (f": {said}" if said else "")

    def stop(self) -> None:
        self._stopped = True
        if self._child.poll() is None:
            self._child.terminate()
        try:
            self._child.wait(STOP_GRACE_SECONDS)
        except CommandError as error:
            raise RunFailed(str(error)) from error


class ChildRunner:
    def start(self, name: str, argv: list[str], directory: Path, max_seconds: int) -> Running:
        output = directory / OUTPUT
        try:
            with output.open("ab") as sink:
                return ChildProcess(_spawn(argv, sink), output)
        except (OSError, CommandError) as error:
            raise RunFailed(str(error)) from error

    def stop_leftover(self, name: str) -> None:
        pass  # the agent's children ended with it (its process group)


def _spawn(argv: list[str], sink: IO[bytes]) -> Child:
    return spawn(argv, output=sink)
