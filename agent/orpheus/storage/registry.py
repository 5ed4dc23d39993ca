"""The storage targets known now: `internal` always, a USB volume from its plug to its
unplug or eject, each NAS the admin added (nas.py) until it is removed, and the default
target (kept in the agent's state directory).

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
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.storage.check import Checker, CheckResult, not_checked
from orpheus.storage.devices import HostileDevice, UsbVolume, usb_volume
from orpheus.storage.mounts import Mounter, MountError, NasMounter
from orpheus.storage.nas import (
    NAS_NAME_PATTERN,
    BadNas,
    BoundedMeasure,
    Credentials,
    NasSpec,
    check_password,
    nas_spec,
)
from orpheus.storage.retention_limits import Limits
from orpheus.storage.targets import INTERNAL, USB_RECORDINGS_DIR, Target

log = logging.getLogger(__name__)

AGENT_USER = "agent"  # who the audit log names for what a drive's plug or pull did

# A target's name as the API and the CLI take it: what devices.UsbVolume.name makes, or a
# NAS's name (nas-<word>).
TARGET_NAME_PATTERN = rf"internal|usb-[0-9a-z][0-9a-z-]{{0,39}}|{NAS_NAME_PATTERN}"
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
        nas_mounter: NasMounter | None = None,
        credentials: Credentials | None = None,
        nas_bounds: Mapping[str, float] | None = None,
        remount_seconds: float = 60.0,
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
        # NAS targets (nas.py): None mounter, none can be added (a development host).
        self._nas_mounter = nas_mounter
        self._credentials = credentials
        self._nas_bounds = dict(nas_bounds or {})  # BoundedMeasure's keyword arguments
        self.remount_seconds = remount_seconds
        self._nas: dict[str, Target] = {}
        self._specs: dict[str, NasSpec] = {}
        self._nas_state: dict[str, str] = {}  # the state last audited, per NAS
        self._mount_tried: dict[str, float] = {}  # monotonic time of the last mount try
        self._mounting: set[str] = set()
        self._watch_stop = threading.Event()
        self._watch: threading.Thread | None = None

    def targets(self) -> list[Target]:
        with self._lock:
            usb = sorted(self._usb.values(), key=lambda t: t.name)
            nas = sorted(self._nas.values(), key=lambda t: t.name)
            return [self._internal, *usb, *nas]

    def get(self, name: str) -> Target:
        if _TARGET_NAME.fullmatch(name) is None:
            raise NoSuchTarget(f"not a storage target's name: {name[:64]!r}")
        with self._lock:
            target = self._internal if name == INTERNAL else self._usb.get(name)
            target = target or self._nas.get(name)
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
        if target.kind == "nas":
            raise TargetRefused(f"{name} is a NAS: its server checks its own filesystem")
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
            if target.error:  # even read-only the kernel would not take it
                found.append(f"{drive} not mounted: its check found {check.result} "
                             f"({check.detail}) and {target.error}")  # fmt: skip
                continue
            found.append(f"{drive} mounted read-only, its check found {check.result}: "
                         f"{check.detail}")  # fmt: skip
        with self._lock:
            states = dict(self._nas_state)
        for name, state in sorted(states.items()):
            if state == "unreachable":
                found.append(f"NAS {name} is unreachable: recordings for it wait on internal; "
                             f"it is mounted again every {self.remount_seconds:.0f} s")  # fmt: skip
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
        if target.kind == "nas":
            raise TargetRefused(f"{name} is a NAS: remove it (orpheusctl storage remove {name})")
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

    # NAS targets (nas.py): added and removed by the admin, kept in the settings file
    # (never a password: that is in the credentials file alone).

    def add_nas(self, name: str, fields: Mapping[str, Any], user: str) -> Target:
        """A new NAS target: checked, kept, then mounted in the background (the answer does
        not wait for a slow server). BadNas, or TargetRefused for a name taken."""
        if self._nas_mounter is None or self._credentials is None:
            raise TargetRefused("NAS targets are not available on this host")
        spec = nas_spec(name, dict(fields))
        password = check_password(fields.get("password")) if spec.kind == "smb" else ""
        with self._settings_lock:
            with self._lock:
                if name in self._nas:
                    raise TargetRefused(f"{name} exists already (remove it first)")
            credentials = self._credentials.write(spec, password) if spec.kind == "smb" else None
            settings = self._read_settings()
            kept = settings.get("nas")
            kept = dict(kept) if isinstance(kept, dict) else {}
            kept[name] = spec.as_settings()
            self._write_settings(settings | {"nas": kept})
        del password
        target = self._nas_target(spec)
        log.info("NAS %s added (%s)", name, spec.source)
        after = spec.as_settings() | ({"credentials": str(credentials)} if credentials else {})
        self._record("storage.nas-added", f"storage {name}", user, None, after)
        self._spawn_mount(name)
        return target

    def _nas_target(self, spec: NasSpec) -> Target:
        where = self.mount_root / spec.name
        # The label: the host (SNMP's orpheusStorageLabel holds 32 characters of [A-Za-z0-9.-]).
        target = Target(spec.name, "nas", where, where / USB_RECORDINGS_DIR, spec.fs_type,
                        spec.source, spec.host[:32], port=spec.port)  # fmt: skip
        if self._mounted is not None:
            target.mounted = self._mounted
        target.error = f"{spec.name} is being mounted"
        bounds = self._nas_bounds
        target.bounded = BoundedMeasure(
            target.measure_now,
            target.unreachable,
            wait_seconds=bounds.get("wait_seconds", 0.5),
            timeout_seconds=bounds.get("timeout_seconds", 5.0),
            fresh_seconds=bounds.get("fresh_seconds", 2.0),
        )
        with self._lock:
            self._nas[spec.name] = target
            self._specs[spec.name] = spec
        return target

    def load_nas(self) -> list[str]:
        """The NAS targets of the settings file, each mounted in the background (start)."""
        kept = self._read_settings().get("nas")
        names = []
        for name, fields in kept.items() if isinstance(kept, dict) else ():
            try:
                spec = nas_spec(name, fields if isinstance(fields, dict) else {})
            except BadNas as error:
                log.error("%s: a NAS ignored: %s", self._settings, error)
                continue
            with self._lock:
                if name in self._nas:
                    continue
            self._nas_target(spec)
            self._spawn_mount(name)
            names.append(name)
        return names

    def _spawn_mount(self, name: str) -> None:
        with self._lock:
            if name in self._mounting or name not in self._nas:
                return
            self._mounting.add(name)
            self._mount_tried[name] = time.monotonic()
        threading.Thread(target=self._mount_nas, args=(name,), name=f"mount-{name}",
                         daemon=True).start()  # fmt: skip

    def _mount_nas(self, name: str) -> None:
        try:
            with self._lock:
                target, spec = self._nas.get(name), self._specs.get(name)
            if target is None or spec is None or self._nas_mounter is None:
                return
            assert self._credentials is not None
            credentials = self._credentials.path(name) if spec.kind == "smb" else None
            try:
                self._nas_mounter.mount_nas(spec, target.root, credentials)
            except MountError as error:
                log.error("%s", error)
                target.error = str(error)
            else:
                target.error = ""
            if target.bounded is not None:
                target.bounded.forget()
        finally:
            with self._lock:
                self._mounting.discard(name)
        self.nas_tick(remount=False)
        self.changed()

    def nas_tick(self, remount: bool = True) -> None:
        """Each NAS's state (cached measure) compared with the last one: a change is logged
        and audited; an unreachable NAS is mounted again, at most every remount_seconds."""
        with self._lock:
            nas = list(self._nas.values())
        for target in nas:
            state = target.measure()
            with self._lock:
                if target.name not in self._nas:
                    continue  # removed meanwhile
                before = self._nas_state.get(target.name)
                self._nas_state[target.name] = state["state"]
                mounting = target.name in self._mounting
                tried = self._mount_tried.get(target.name, 0.0)
            if mounting and before is None:
                continue  # the first mount has not ended: nothing known yet
            if state["state"] != before:
                level = logging.WARNING if state["state"] == "unreachable" else logging.INFO
                log.log(level, "NAS %s: %s %s", target.name, state["state"], state["message"])
                self._record("storage.nas-state", f"storage {target.name}", AGENT_USER,
                             {"state": before} if before else None,
                             {"state": state["state"], "message": state["message"]})  # fmt: skip
            late = time.monotonic() - tried >= self.remount_seconds
            if remount and state["state"] == "unreachable" and not mounting and late:
                log.info("NAS %s unreachable: mounted again", target.name)
                self._spawn_mount(target.name)

    def start_watch(self, interval: float = 10.0) -> None:
        """The NAS targets kept, mounted; their states watched every interval seconds."""
        self.load_nas()
        self._watch_stop.clear()

        def watch() -> None:
            while not self._watch_stop.wait(interval):
                try:
                    self.nas_tick()
                except Exception:  # the watch goes on: logged, the next tick comes
                    log.exception("NAS watch failed")

        self._watch = threading.Thread(target=watch, name="nas-watch", daemon=True)
        self._watch.start()

    def stop_watch(self) -> None:
        self._watch_stop.set()
        if self._watch is not None:
            self._watch.join(5)

    def remove_nas(self, name: str, user: str, busy: Callable[[str], str | None]) -> str:
        """Unmounted and forgotten (its credentials file deleted); refused while a job or
        a placement uses it, or while it is the default target."""
        target = self.get(name)
        if target.kind != "nas":
            raise TargetRefused(f"{name} is not a NAS (a USB drive is ejected)")
        if self.default() == name:
            raise TargetRefused(f"{name} is the default target: set another default first")
        reason = busy(name)
        if reason:
            raise TargetRefused(f"{name} is in use: {reason}")
        with self._lock:
            if name in self._mounting:
                raise TargetRefused(f"{name} is being mounted: remove it in a few seconds")
            self._nas.pop(name, None)
            spec = self._specs.pop(name, None)
            self._nas_state.pop(name, None)
        assert self._nas_mounter is not None and self._credentials is not None
        try:
            self._nas_mounter.unmount(target.root)
        except MountError as error:  # not mounted (it never was): nothing to detach
            log.warning("%s", error)
        self._credentials.remove(name)
        with self._settings_lock:
            settings = self._read_settings()
            kept = settings.get("nas")
            kept = dict(kept) if isinstance(kept, dict) else {}
            if kept.pop(name, None) is not None:
                self._write_settings(settings | {"nas": kept})
        log.info("NAS %s removed", name)
        before = spec.as_settings() if spec else {"name": name}
        self._record("storage.nas-removed", f"storage {name}", user, before, None)
        return name

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
