"""In-memory stand-ins for the D-Bus wrappers: what unit tests (and a development host
without the services) use in their place. They record what they were asked and fail on
demand with the same error types as the real wrappers."""

from __future__ import annotations

import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orpheus.dbus.rauc import BundleInfo, ProgressCallback, RaucError, SlotStatus
from orpheus.dbus.systemd import SystemdError, UnitProperty


@dataclass
class FakeSystemd:
    """calls: ("reload", "snmpd.service"), ("reboot", "") ... in order.
    unavailable: every call raises SystemdError with that message (e.g. no system bus)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    unavailable: str | None = None
    transient: dict[str, list[UnitProperty]] = field(default_factory=dict)  # unit -> properties
    states: dict[str, str] = field(default_factory=dict)  # unit -> ActiveState (else inactive)

    def start_unit(self, unit: str) -> None:
        self._record("start", unit)

    def stop_unit(self, unit: str) -> None:
        self._record("stop", unit)
        self.states.pop(unit, None)

    def restart_unit(self, unit: str) -> None:
        self._record("restart", unit)

    def reload_or_restart_unit(self, unit: str) -> None:
        self._record("reload", unit)

    def start_transient_unit(self, unit: str, properties: Sequence[UnitProperty]) -> None:
        self._record("start-transient", unit)
        self.transient[unit] = list(properties)
        self.states[unit] = "active"

    def reboot(self) -> None:
        self._record("reboot", "")

    def active_state(self, unit: str) -> str:
        if self.unavailable is not None:
            raise SystemdError(f"cannot read the state of {unit}: {self.unavailable}")
        return self.states.get(unit, "inactive")

    def _record(self, verb: str, unit: str) -> None:
        if self.unavailable is not None:
            what = "reboot" if verb == "reboot" else f"{verb} {unit}"
            raise SystemdError(f"cannot {what}: {self.unavailable}")
        self.calls.append((verb, unit))


def _two_slots() -> SlotStatus:
    return {
        "rootfs.0": {"bootname": "A", "state": "booted", "boot-status": "good"},
        "rootfs.1": {"bootname": "B", "state": "inactive", "boot-status": "good"},
    }


@dataclass
class FakeRauc:
    """Two good slots, A booted and primary. install_failures: messages the next installs
    raise as RaucError, first one first; progress: what each install reports.
    by_content: bundles told apart by their bytes; then inspect and install read the source
    (a file, or an http URL fetched as RAUC streams it), inspect answers for what it read
    and install records it in installed_content."""

    slots: SlotStatus = field(default_factory=_two_slots)
    primary_slot: str = "rootfs.0"
    bundle: BundleInfo = field(
        default_factory=lambda: BundleInfo("orpheus", "1.1.0", "2026-01-01T00:00:00Z", {}, {})
    )
    install_failures: list[str] = field(default_factory=list)
    progress: list[tuple[int, str]] = field(
        default_factory=lambda: [(50, "Copying"), (100, "Done")]
    )
    marks: list[tuple[str, str]] = field(default_factory=list)
    installs: list[str] = field(default_factory=list)
    unavailable: str | None = None
    no_primary: str | None = None  # GetPrimary's error while the bootloader names no slot
    by_content: dict[bytes, BundleInfo] = field(default_factory=dict)
    installed_content: list[bytes] = field(default_factory=list)

    def mark(self, state: str, slot: str = "booted") -> str:
        self._reachable()
        self.marks.append((state, slot))
        return f"marked slot {slot} as {state}"

    def slot_status(self) -> SlotStatus:
        self._reachable()
        return {name: dict(status) for name, status in self.slots.items()}

    def primary(self) -> str:
        self._reachable()
        if self.no_primary is not None:
            raise RaucError(self.no_primary)
        return self.primary_slot

    def inspect(self, source: str) -> BundleInfo:
        self._reachable()
        if not self.by_content:
            return self.bundle
        content = self._read(source)
        if content not in self.by_content:
            raise RaucError(f"signature verification failed for {source}")
        return self.by_content[content]

    def install(self, source: str, on_progress: ProgressCallback) -> None:
        self._reachable()
        self.installs.append(source)
        if self.by_content:
            self.installed_content.append(self._read(source))
        if self.install_failures:
            raise RaucError(self.install_failures.pop(0))
        for percent, text in self.progress:
            on_progress(percent, text)

    @staticmethod
    def _read(source: str) -> bytes:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 - a test's
                return bytes(response.read())
        return Path(source).read_bytes()

    def _reachable(self) -> None:
        if self.unavailable is not None:
            raise RaucError(self.unavailable)
