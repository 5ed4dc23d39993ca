"""The storage targets known now: `internal` always, a USB volume from its plug to its
unplug or eject, and the default target (kept in the agent's state directory).

A plugged-in volume is mounted at `<mount_root>/usb-<uuid>`; one that cannot be used stays
listed (unsupported, or unreachable with the mount's error) so the admin sees why. Every
change is logged and audited, and answers one line.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.storage.check import Checker, CheckResult, not_checked
from orpheus.storage.devices import HostileDevice, UsbVolume, usb_volume
from orpheus.storage.mounts import Mounter, MountError
from orpheus.storage.retention import Limits
from orpheus.storage.targets import INTERNAL, USB_RECORDINGS_DIR, Target

log = logging.getLogger(__name__)

AGENT_USER = "agent"  # who the audit log names for what a drive's plug or pull did

# A target's name as the API and the CLI take it: what devices.UsbVolume.name makes.
TARGET_NAME_PATTERN = r"internal|usb-[0-9a-z][0-9a-z-]{0,39}"
_TARGET_NAME = re.compile(TARGET_NAME_PATTERN)


class NoSuchTarget(LookupError):
    pass


class TargetRefused(ValueError):
    """A storage change that cannot be made (ejecting internal...); one line."""


class StorageTargets:
    def __init__(
        self,
        internal_recordings: Path,
        mount_root: Path,
        mounter: Mounter,
        settings_file: Path,
        audit: AuditSink | None = None,
        mounted: Callable[[Path], bool] | None = None,
        checker: Checker | None = None,
    ) -> None:
        self.mount_root = mount_root
        self._mounter = mounter
        self._checker = checker  # None: mounted unchecked (a development host)
        self._settings = settings_file
        self._audit = audit
        self._mounted = mounted  # None: os.path.ismount (tests use directories)
        self._lock = threading.Lock()
        self._settings_lock = threading.Lock()
        self._internal = Target(
            INTERNAL,
            "internal",
            internal_recordings.parent,
            internal_recordings,
            mounted=Path.is_dir,
        )
        self._usb: dict[str, Target] = {}
        # A drive plugged in or a new default (the placement tries its pending ones at once).
        self.changed: Callable[[], None] = lambda: None
        self._volumes: dict[str, UsbVolume] = {}
        self._checking: set[str] = set()  # re-checks under way (one at a time per drive)

    def targets(self) -> list[Target]:
        with self._lock:
            return [self._internal, *sorted(self._usb.values(), key=lambda t: t.name)]

    def get(self, name: str) -> Target:
        if _TARGET_NAME.fullmatch(name) is None:
            raise NoSuchTarget(f"not a storage target's name: {name[:64]!r}")
        with self._lock:
            target = self._internal if name == INTERNAL else self._usb.get(name)
        if target is None:
            raise NoSuchTarget(f"no storage target {name!r} (see orpheusctl storage list)")
        return target

    def listing(self) -> dict[str, Any]:
        """GET /api/v1/storage."""
        default = self.default()
        return {
            "default": default,
            "targets": [
                t.measure()
                | {"default": t.name == default, "retention": self.retention(t.name).as_dict()}
                for t in self.targets()
            ],
        }

    # The settings file: {"default": name, "retention": {name: limits}}, rewritten whole
    # only when a value changes.

    def _read_settings(self) -> dict[str, Any]:
        try:
            raw = json.loads(self._settings.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.error("%s unreadable (%s): recordings stay on internal", self._settings, error)
            return {}
        return raw if isinstance(raw, dict) else {}

    def _write_settings(self, settings: dict[str, Any]) -> None:
        self._settings.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps(settings, sort_keys=True) + "\n"
        files.write_file(self._settings, text, mode=0o600)

    # The default target: where recordings go (read by the recording side; see README).

    def default(self) -> str:
        value = self._read_settings().get("default", INTERNAL)
        return value if isinstance(value, str) and _TARGET_NAME.fullmatch(value) else INTERNAL

    def set_default(self, name: str, user: str) -> str:
        target = self.get(name)
        if not target.reachable():
            raise TargetRefused(f"{name} cannot take recordings: {target.measure()['message']}")
        if target.measure()["state"] == "read-only":
            raise TargetRefused(f"{name} is mounted read-only: it cannot take recordings")
        with self._settings_lock:
            settings = self._read_settings()
            before = self.default()
            if settings.get("default") != name:
                self._write_settings(settings | {"default": name})
        self._record("storage.default", "storage", user, {"default": before}, {"default": name})
        self.changed()
        return name

    # Retention (retention.py): kept per name, so a drive's limits come back with it.

    def retention(self, name: str) -> Limits:
        kept = self._read_settings().get("retention")
        return Limits.parse(kept.get(name)) if isinstance(kept, dict) else Limits()

    def set_retention(self, name: str, limits: Limits, user: str) -> Limits:
        """A known target's limits (NoSuchTarget otherwise); audited when they change."""
        self.get(name)
        with self._settings_lock:
            settings = self._read_settings()
            before = self.retention(name)
            if before == limits:
                return limits
            kept = settings.get("retention")
            kept = dict(kept) if isinstance(kept, dict) else {}
            if limits.unlimited:
                kept.pop(name, None)
            else:
                kept[name] = limits.as_dict()
            self._write_settings(settings | {"retention": kept})
        subject = f"storage {name}"
        self._record("storage.retention", subject, user, before.as_dict(), limits.as_dict())
        return limits

    # Hot-plug (hotplug.py) and the admin's eject.

    def device_added(self, properties: Mapping[str, str]) -> Target | None:
        """A udev `add` (or a volume present when the agent starts): mounted when it can be."""
        try:
            volume = usb_volume(properties)
        except HostileDevice as error:
            log.warning("USB device ignored: %s", error)
            self._record("storage.refused", "storage", AGENT_USER, None, {"reason": str(error)})
            return None
        if volume is None:
            return None
        target = self._new_target(volume)
        checking = self._checker is not None and not target.unsupported
        checking = checking and not target.mounted(target.root)
        with self._lock:
            if volume.name in self._usb:
                return self._usb[volume.name]
            # Listed at once ("being checked", unreachable): a big drive's check takes minutes.
            self._usb[volume.name] = target
            self._volumes[volume.name] = volume
            if checking:
                self._checking.add(volume.name)
                target.error = f"{volume.name} is being checked"
        try:
            self._mount(volume, target, checking)
        finally:
            with self._lock:
                self._checking.discard(volume.name)
        state = target.measure()
        log.info("USB %s (%s, %s): %s", volume.name, volume.device, volume.fs_type, state["state"])
        self._record("storage.plugged", f"storage {volume.name}", AGENT_USER, None, _facts(state))
        self.changed()
        return target

    def _new_target(self, volume: UsbVolume) -> Target:
        where = self.mount_root / volume.name
        target = Target(
            volume.name, "usb", where, where / USB_RECORDINGS_DIR, volume.fs_type,
            volume.device, volume.label, unsupported=not volume.supported,
        )  # fmt: skip
        if self._mounted is not None:
            target.mounted = self._mounted
        return target

    def _mount(self, volume: UsbVolume, target: Target, checking: bool) -> None:
        if target.unsupported:
            return
        if checking:
            self._check(volume, target, AGENT_USER)
        elif self._checker is not None:
            # Mounted before the agent (re)started: never checked under its mount.
            target.check = not_checked("mounted already when the agent started")
        self._mount_checked(volume, target)

    def _check(self, volume: UsbVolume, target: Target, user: str) -> None:
        """The filesystem checked (never mounted meanwhile): logged, audited, and what it
        decides: read-write, read-only, or nothing mounted (the drive went away)."""
        assert self._checker is not None
        result = self._checker.check(volume)
        target.check = result
        target.read_only = not result.read_write
        gone = f"{volume.name} went away during its filesystem check: not mounted"
        target.error = gone if result.result == "gone" else ""
        level = logging.INFO if result.read_write else logging.ERROR
        log.log(level, "USB %s (%s) check: %s: %s", volume.name, volume.device,
                result.result, result.detail)  # fmt: skip
        subject = f"storage {volume.name}"
        after = result.as_dict() | {"mount": _mode(target)}
        self._record("storage.check", subject, user, None, after)

    def _mount_checked(self, volume: UsbVolume, target: Target) -> None:
        if target.error:
            return
        try:
            self._mounter.mount(volume, target.root, read_only=target.read_only)
        except MountError as error:
            log.error("%s", error)
            target.error = str(error)

    def recheck(self, name: str, user: str, busy: Callable[[str], str | None]) -> CheckResult:
        """`orpheusctl storage check`: unmounted, checked and mounted again (read-only if
        errors are left); refused while a job uses the target."""
        target = self.get(name)
        if target.kind != "usb":
            raise TargetRefused("the internal target is the unit's own: it is not checked")
        if target.unsupported or self._checker is None:
            raise TargetRefused(f"{name}: {target.fs_type or 'this'} filesystem is not checked")
        with self._lock:
            volume = self._volumes.get(name)
            if volume is None:
                raise NoSuchTarget(f"no storage target {name!r} (see orpheusctl storage list)")
            if name in self._checking:
                raise TargetRefused(f"{name} is being checked already")
            self._checking.add(name)
        try:
            return self._recheck(volume, target, user, busy)
        finally:
            with self._lock:
                self._checking.discard(name)

    def _recheck(
        self, volume: UsbVolume, target: Target, user: str, busy: Callable[[str], str | None]
    ) -> CheckResult:
        name, before = volume.name, target.error
        target.error = f"{name} is being checked"  # unreachable: no transfer starts meanwhile
        reason = busy(name)
        try:
            if reason:
                raise TargetRefused(f"{name} is in use: {reason}")
            if not before:
                self._mounter.unmount(target.root)
        except (TargetRefused, MountError):
            target.error = before
            raise
        self._check(volume, target, user)
        self._mount_checked(volume, target)
        assert target.check is not None
        return target.check

    def alarms(self) -> list[str]:
        """A drive mounted read-only after its check, or not mounted: one line each."""
        found = []
        for target in self.targets():
            check = target.check
            if check is None or check.read_write:
                continue
            drive = f"USB drive {target.name} ({target.label or target.device})"
            if check.result == "gone":
                continue  # pulled out: the unplug ends it, nothing to alarm about
            found.append(f"{drive} mounted read-only, its check found {check.result}: "
                         f"{check.detail}")  # fmt: skip
        return found

    def device_removed(self, properties: Mapping[str, str]) -> None:
        """A udev `remove`: the drive is gone (systemd has lazily unmounted it)."""
        try:
            volume = usb_volume(properties)
        except HostileDevice:
            return
        if volume is None:
            return
        with self._lock:
            target = self._usb.pop(volume.name, None)
            self._volumes.pop(volume.name, None)
        if target is None:
            return
        self._unmount(target)
        log.warning("USB %s (%s) removed", target.name, target.device)
        subject = f"storage {target.name}"
        self._record("storage.unplugged", subject, AGENT_USER, {"name": target.name}, None)

    def eject(self, name: str, user: str, busy: Callable[[str], str | None]) -> str:
        """Unmounts a USB target so the drive can be pulled; refused while a job uses it."""
        target = self.get(name)
        if target.kind != "usb":
            raise TargetRefused("the internal target cannot be ejected")
        reason = busy(name)
        if reason:
            raise TargetRefused(f"{name} is in use: {reason}")
        with self._lock:
            if name in self._checking:
                raise TargetRefused(f"{name} is being checked: eject it after its check")
        if not target.unsupported and not target.error:
            self._mounter.unmount(target.root)
        with self._lock:
            self._usb.pop(name, None)
            self._volumes.pop(name, None)
        if self.default() == name:
            log.warning("the default target %s was ejected: recordings stay on internal", name)
        self._record("storage.eject", f"storage {name}", user, {"name": name}, None)
        return name

    def _unmount(self, target: Target) -> None:
        if target.unsupported or target.error:
            return
        try:
            self._mounter.unmount(target.root)
        except MountError as error:
            log.warning("%s", error)

    def _record(self, change: str, subject: str, user: str, before: Any, after: Any) -> None:
        if self._audit is None:
            return
        try:
            self._audit.append(AuditEntry(change, subject, user, before, after))
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit %s: %s", change, error)


def _mode(target: Target) -> str:
    if target.error:
        return "no"
    return "read-only" if target.read_only else "read-write"


def _facts(state: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("name", "fs_type", "device", "label", "state", "size_bytes", "message")
    return {key: state[key] for key in keys}
