"""Copy and move between storage targets as jobs: one at a time, journalled, resumable.

A job plans first (the source's recordings the selection takes, by id), writes the journal,
drops the partial copies an earlier job left on the destination, then copies each recording
(transfer.py) and, on a move, deletes its source after the verified copy. Progress is in
bytes; the log names what was skipped. A drive that goes away, fills up or fails ends the
job with one line: the recording being copied is still on its source and its partial copy
is removed (or, if the drive is gone, removed by the next job or at the next start).
"""

from __future__ import annotations

import datetime
import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from orpheus.files import is_disk_full
from orpheus.jobs.model import Failure, Job, Refusal
from orpheus.jobs.registry import Exclusive
from orpheus.recordings.selection import Selection
from orpheus.recordings.store import NoSuchRecording
from orpheus.storage.journal import Journal, Mode, Plan
from orpheus.storage.pipeline import WriteAhead
from orpheus.storage.registry import NoSuchTarget, StorageTargets
from orpheus.storage.targets import Target
from orpheus.storage.transfer import Checkpoint, Copier, Side, Skipped, VerifyFailed

log = logging.getLogger(__name__)

TRANSFER_KINDS = frozenset({"copy", "move"})
ONE_TRANSFER = Exclusive("a recordings copy or move", TRANSFER_KINDS)
_PAST = {"copy": "copied", "move": "moved"}
# A pulled drive fails its reads and writes (EIO) before udev's removal reaches the agent:
# the job waits this long for the removal before it calls the error a plain I/O error.
_PULLED = frozenset({errno.EIO, errno.ENODEV, errno.ENXIO})
REMOVAL_GRACE_SECONDS = 5.0


class AgentStopping(Failure):
    """The agent is stopping: the job ends, its journal is kept for the next start."""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def mib(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


@dataclass
class Tally:
    total_files: int
    total_bytes: int
    files: int = 0
    done_bytes: int = 0
    present: int = 0
    gone: int = 0
    skipped: int = 0

    def percent(self) -> int:
        if self.total_bytes:
            return min(99, self.done_bytes * 100 // self.total_bytes)
        return self.files * 100 // max(1, self.total_files)


class Transfers:
    """Plans transfers and does their work (the feature runs it as a job)."""

    def __init__(
        self,
        targets: StorageTargets,
        journal: Journal,
        checkpoint: Checkpoint | None = None,
        now: Callable[[], datetime.datetime] = _now,
    ) -> None:
        self.targets = targets
        self.journal = journal
        self._checkpoint = checkpoint
        self._now = now
        self.stopping = threading.Event()

    def plan(self, mode: Mode, source: str, destination: str, selection: Selection) -> Plan:
        """What a request asks for, checked: Refusal (one line) when it cannot be done."""
        if source == destination:
            raise Refusal(f"the source and the destination are both {source}")
        origin, target = self._target(source), self._target(destination)
        for end in (origin, target):
            self._usable(end)
        if target.measure()["state"] == "read-only":
            raise Refusal(f"{destination} is mounted read-only")
        if mode == "move" and origin.measure()["state"] == "read-only":
            raise Refusal(f"{source} is mounted read-only: its recordings can be copied only")
        try:
            entries = origin.store.entries()
        except OSError as error:
            raise Refusal(f"cannot read {source}: {error.strerror}") from error
        ids = selection.pick(entries, self._now())
        return Plan(mode, source, destination, ids, selection.as_dict())

    def _target(self, name: str) -> Target:
        try:
            return self.targets.get(name)
        except NoSuchTarget as error:
            raise Refusal(str(error)) from error

    @staticmethod
    def _usable(target: Target) -> None:
        if not target.reachable():
            raise Refusal(f"{target.name} is {target.measure()['state']}")

    def run(self, job: Job, plan: Plan) -> str:
        """The job's work: the journal kept only if the agent stops mid-way."""
        try:
            message = self._run(job, plan)
        except AgentStopping:
            raise
        except BaseException:
            if plan.mode == "move":
                self._sync_source(plan)
            self.journal.clear()
            raise
        self.journal.clear()
        return message

    def _run(self, job: Job, plan: Plan) -> str:
        try:
            source, destination = self.targets.get(plan.source), self.targets.get(plan.destination)
            self._usable(source)
            self._usable(destination)
            if destination.measure()["state"] == "read-only":
                raise Refusal(f"{plan.destination} is mounted read-only")
        except (NoSuchTarget, Refusal) as error:
            raise Failure(f"{plan.mode} not done: {error}") from error
        self.journal.write(plan)
        dropped = destination.store.drop_copies(plan.ids)
        if dropped:
            job.step(0, f"removed {len(dropped)} partial copy(ies) an interrupted job left")
        tally = Tally(len(plan.ids), sum(_size(source, i) for i in plan.ids))
        job.step(0, f"{len(plan.ids)} recording(s), {mib(tally.total_bytes)}")

        def progress(count: int) -> None:
            tally.done_bytes += count

        copier = Copier(
            Side(source.name, source.store),
            Side(destination.name, destination.store),
            progress,
            *([self._checkpoint] if self._checkpoint else []),
        )
        try:  # a drive pulled shows as EIO anywhere, the final sync included: said as such
            self._each(job, plan, copier, tally, (source, destination))
            if plan.mode == "move":
                _sync_directory(source)
        except OSError as error:
            raise Failure(self._stopped_by(error, plan, tally)) from error
        return _summary(plan, tally)

    def _each(
        self, job: Job, plan: Plan, copier: Copier, tally: Tally, ends: tuple[Target, Target]
    ) -> None:
        with WriteAhead(copier, plan.ids) as ahead:
            for recording_id in plan.ids:
                if self.stopping.is_set():
                    raise AgentStopping(f"the agent stopped: the {plan.mode} resumes at its start")
                for end in ends:
                    if not end.reachable():
                        gone = OSError(f"{end.name} is gone")
                        raise Failure(self._stopped_by(gone, plan, tally))
                self._one(job, plan, copier, ahead, recording_id, tally)
                self._done_one(job, tally)

    @staticmethod
    def _done_one(job: Job, tally: Tally) -> None:
        tally.files += 1
        job.step(
            tally.percent(),
            f"{tally.files} of {tally.total_files} recording(s), {mib(tally.done_bytes)} "
            f"of {mib(tally.total_bytes)}",
        )

    def _one(
        self,
        job: Job,
        plan: Plan,
        copier: Copier,
        ahead: WriteAhead,
        recording_id: str,
        tally: Tally,
    ) -> None:
        try:
            try:
                outcome = copier.finish(ahead.next(recording_id))
            except NoSuchRecording:
                self._gone(job, plan, copier, recording_id, tally)
                return
            except Skipped as error:
                tally.skipped += 1
                job.step(tally.percent(), f"skipped: {error}")
                return
            if outcome == "present":
                tally.present += 1
            if plan.mode == "move":
                copier.delete_source(recording_id)
        except VerifyFailed as error:  # an OSError is said by _run's wrapper
            raise Failure(str(error)) from error

    def _gone(self, job: Job, plan: Plan, copier: Copier, recording_id: str, tally: Tally) -> None:
        """No facts on the source: a move a crash cut after the source's facts went (its
        audio alone is left, the copy is on the destination), or deleted meanwhile."""
        left = copier.source.store.audio_path(recording_id)
        if plan.mode == "move" and left.exists() and copier.holds_copy_of(recording_id, left):
            left.unlink()
            tally.present += 1
            return
        tally.gone += 1
        job.step(tally.percent(), f"skipped: {recording_id} is no longer on {plan.source}")

    def _stopped_by(self, error: OSError, plan: Plan, tally: Tally) -> str:
        done = f"after {tally.files} of {tally.total_files} recording(s)"
        intact = f"the rest is still on {plan.source}"
        if error.errno in _PULLED:
            self._await_removal(plan)
        destination = self.targets_reachable(plan.destination)
        if is_disk_full(error):
            return f"{plan.destination} is full: {plan.mode} stopped {done}; {intact}"
        if not destination:
            return f"{plan.destination} went away: {plan.mode} stopped {done}; {intact}"
        if not self.targets_reachable(plan.source):
            return f"{plan.source} went away: {plan.mode} stopped {done}"
        return f"{plan.mode} stopped {done}: {error.strerror or error}; {intact}"

    def _await_removal(self, plan: Plan) -> None:
        deadline = time.monotonic() + REMOVAL_GRACE_SECONDS
        while time.monotonic() < deadline:
            if not (
                self.targets_reachable(plan.source) and self.targets_reachable(plan.destination)
            ):
                return
            time.sleep(0.25)

    def _sync_source(self, plan: Plan) -> None:
        try:
            _sync_directory(self.targets.get(plan.source))
        except (NoSuchTarget, OSError) as error:
            log.warning("%s: deletions not synced: %s", plan.source, error)

    def targets_reachable(self, name: str) -> bool:
        try:
            target = self.targets.get(name)
        except NoSuchTarget:
            return False
        try:
            return target.reachable() and target.recordings_dir.is_dir()
        except OSError:  # a pulled drive's mount answers EIO until udev's removal comes
            return False


def _size(target: Target, recording_id: str) -> int:
    try:
        return target.store.audio_path(recording_id).stat().st_size
    except OSError:
        return 0


def _sync_directory(target: Target) -> None:
    """The source's deletions on disk before the journal goes (else a power cut could bring
    back a recording the destination holds too)."""
    try:
        descriptor = os.open(target.recordings_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _summary(plan: Plan, tally: Tally) -> str:
    done = tally.files - tally.gone - tally.skipped
    text = (
        f"{_PAST[plan.mode]} {done} recording(s) ({mib(tally.done_bytes)}) from {plan.source} "
        f"to {plan.destination}"
    )
    notes = []
    if tally.present:
        notes.append(f"{tally.present} already there")
    if tally.skipped:
        notes.append(f"{tally.skipped} skipped (see the job's log)")
    if tally.gone:
        notes.append(f"{tally.gone} no longer on {plan.source}")
    return text + (f" ({'; '.join(notes)})" if notes else "")
