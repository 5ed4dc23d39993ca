"""The fallback slot is kept bootable: whenever the other slot is not good, it is restored.

RAUC marks the target slot bad before it writes, so an install that does not end well (a
write error, a cancelled or cut install, a power cut) leaves the unit with no fallback; so
does a new firmware that failed its first boot. The keeper sees that from RAUC's view of the
slots and, once the running slot itself is committed good, copies the running slot onto the
other (update/slot_copy.py), marks it good, and keeps the running slot first in the boot
order. It runs as an update job ("restore"): an install asked for meanwhile stops it (the
install writes the slot itself; if it fails, the restore comes again), and it runs at most
ATTEMPTS_PER_BOOT times per boot, so a disk that cannot take the copy is not written forever.
A restore cut by a power cut left the slot bad: the next boot restores it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orpheus.api.app import Api
from orpheus.dbus.rauc import RaucError
from orpheus.jobs.model import Failure
from orpheus.update import slot_copy
from orpheus.update.installer import other_slot
from orpheus.update.jobs import Busy, Job, JobSlot
from orpheus.update.policy import Firmware
from orpheus.update.rauc_view import RaucView
from orpheus.update.state import UpdateState, now_iso

log = logging.getLogger(__name__)

KIND = "restore"
CHECK_SECONDS = 10.0
ATTEMPTS_PER_BOOT = 3
# How long an install waits for a restore to stop (it stops at its next 4 MiB).
GIVE_WAY_SECONDS = 30.0

Copy = Callable[[Path, Path, slot_copy.Progress], int]  # returns the bytes copied


class GaveWay(Exception):
    """The restore stopped for an install."""


@dataclass
class FallbackDeps:
    view: RaucView
    state: UpdateState
    running: Firmware
    booted_slot: str
    jobs: JobSlot
    copy: Copy = slot_copy.copy
    # Told once a restore has ended well, with the job's message (the audit log; SNMP's trap
    # comes from the fallback record in the status).
    on_restored: Callable[[str], None] = field(default=lambda _message: None)


class FallbackKeeper:
    name = "fallback"

    def __init__(self, deps: FallbackDeps, check_seconds: float = CHECK_SECONDS) -> None:
        self.deps = deps
        self._check_seconds = check_seconds
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._attempts = 0

    def install_routes(self, api: Api) -> None:
        pass  # its state is part of GET /api/v1/update

    def start(self) -> None:
        threading.Thread(target=self._run, name="fallback-keeper", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def give_way(self, timeout: float = GIVE_WAY_SECONDS) -> None:
        """An install is asked for while a restore runs: the restore stops (the slot stays
        bad, and the install writes it anyway) and this returns once its job has ended."""
        job = self.deps.jobs.current
        if job is None or job.kind != KIND or not job.running:
            return
        self._cancel.set()
        deadline = time.monotonic() + timeout
        while job.running and time.monotonic() < deadline:
            time.sleep(0.05)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # the keeper must outlive one bad check
                log.exception("fallback check failed")
            self._stop.wait(self._check_seconds)

    def check(self) -> Job | None:
        """Refreshes RAUC's view, and starts a restore job if one is due (returns it)."""
        deps = self.deps
        deps.view.refresh()
        current = deps.jobs.current
        if current is not None and current.running:
            return None
        slots = self._slots()
        if slots is None or self._attempts >= ATTEMPTS_PER_BOOT:
            return None
        booted, other = slots
        job = Job(KIND, f"slot {other['bootname']} from slot {booted['bootname']}")
        self._cancel.clear()
        try:
            deps.jobs.claim(job)
        except Busy:
            return None
        self._attempts += 1
        reason = f"slot {other['bootname']} is {other.get('boot-status') or 'not bootable'}"
        log.warning("%s: restoring it from the running slot %s", reason, booted["bootname"])
        self._record("restoring", other["bootname"], reason)
        deps.jobs.registry.spawn(job, lambda running: self._restore(running, booted, other))
        return job

    def _slots(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The booted and the other slot when the other needs restoring, else None."""
        booted_name = self.deps.booted_slot
        try:
            booted = self.deps.view.slot(booted_name)
            other = self.deps.view.slot(other_slot(booted_name))
        except RaucError:
            return None
        if booted is None or other is None or other.get("boot-status") == "good":
            return None
        if booted.get("boot-status") != "good":
            return None  # not committed yet: a trial boot is no source for a fallback
        return booted, other

    def _restore(self, job: Job, booted: dict[str, Any], other: dict[str, Any]) -> str:
        deps = self.deps
        target = str(other["bootname"])
        source_name = str(booted["bootname"])
        version = deps.running.version
        try:
            source, device = Path(str(booted["device"])), Path(str(other["device"]))
            # Bad while it is written: a restore cut short is never booted, and is redone.
            deps.view.mark("bad", "other")
            job.step(1, f"restoring slot {target}: copying slot {source_name} ({version})")
            started = time.monotonic()
            length = deps.copy(source, device, lambda share: self._progress(job, share))
            job.step(97, f"restoring slot {target}: marking it good")
            deps.view.mark("good", "other")
            self._keep_running_slot_first(booted)
        except GaveWay as error:
            self._attempts -= 1  # not a failure of the slot: it is tried again after the install
            message = f"restoring slot {target} stopped: {error}"
            self._record("stopped", target, message)
            raise Failure(message) from error
        except (KeyError, RaucError, OSError) as error:
            message = f"restoring slot {target} failed: {error}"
            self._record("failed", target, message)
            raise Failure(message) from error
        deps.state.set_slot(target, version, deps.running.build_date)
        message = f"slot {target} restored: a copy of firmware {version} from slot {source_name}"
        seconds = round(time.monotonic() - started, 1)
        self._record("good", target, message, bytes=length, seconds=seconds)
        deps.on_restored(message)
        return message

    def _progress(self, job: Job, share: float) -> None:
        if self._cancel.is_set():
            raise GaveWay("an install was asked for, and writes the slot itself")
        job.step(1 + int(share * 95), job.message)

    def _keep_running_slot_first(self, booted: dict[str, Any]) -> None:
        """After a rollback the bad slot was still first in the boot order: the copy would
        boot next. The running slot goes first again."""
        _slots, primary = self.deps.view.current()
        if primary != booted["slot"]:
            self.deps.view.mark("active", "booted")

    def _record(self, state: str, slot: str, message: str, **extra: object) -> None:
        record = {
            "state": state,
            "slot": slot,
            "copy_of": self.deps.running.version,
            "message": message,
            "at": now_iso(),
            **extra,
        }
        self.deps.state.update(fallback=record)
