"""Encrypting recordings as Asterisk writes them into RAM, so plain audio never reaches a disk.

Asterisk's MixMonitor writes each call's raw audio into a tmpfs (names.ASTERISK_SPOOL). The
agent follows every file there while it grows: each poll it reads what was added and feeds
the age encryptor, which seals 64 KiB chunks onto the data partition; what is sealed is
punched out of the tmpfs file (fallocate PUNCH_HOLE: tmpfs frees those pages while Asterisk
goes on writing at its offset). So an active recording holds in RAM at most the chunk being
filled, what Asterisk wrote since the last poll (it writes 32 KiB at a time) and a page:
about 100 KiB, whatever the call's length. While the agent is stopped the file grows
(57.6 MB an hour) until the tmpfs (64 MiB, fstab) is full; then Asterisk's writes fail.

The age file's payload key and how far it is sealed are kept in RAM too (the agent's run
directory, root only), updated before anything is punched: an agent restarted mid-call
cuts the .part back to that point, reads the unpunched audio again and goes on with the
same file. A reboot ends the call and empties the RAM: its .part cannot be finished.

A recording is finished when no process has its file open for writing any more: a read
lease (F_SETLEASE) is granted only then. The agent reads the rest, seals the last chunk,
syncs, renames the .part to .age, writes its facts (it appears in the list) and deletes the
tmpfs file. Without a privacy key the audio cannot be encrypted: it is punched away unread
and an alarm says how many recordings were lost.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import errno
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from orpheus import files
from orpheus.files import is_disk_full
from orpheus.privacy import age
from orpheus.recordings.names import BYTES_PER_SECOND, CallFacts, parse_spool_name
from orpheus.recordings.store import RecordingStore, open_partial

log = logging.getLogger(__name__)

PAGE = 4096
READ_SIZE = 4 * age.CHUNK
_F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)
_FALLOC_FL_KEEP_SIZE, _FALLOC_FL_PUNCH_HOLE = 0x01, 0x02
_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def punch_hole(path: Path, offset: int, length: int) -> None:
    """Frees [offset, offset + length) of the file without changing its size."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        mode = _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE
        if _libc.fallocate(descriptor, mode, offset, length) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"punching {path}: {os.strerror(code)}")
    finally:
        os.close(descriptor)


def has_writer(descriptor: int) -> bool:
    """Whether any process has the file open for writing (a read lease is refused then)."""
    try:
        fcntl.fcntl(descriptor, _F_SETLEASE, fcntl.F_RDLCK)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EBUSY):
            return True
        raise
    fcntl.fcntl(descriptor, _F_SETLEASE, fcntl.F_UNLCK)
    return False


def first_data(descriptor: int) -> int:
    """Where the file's data begins (after a hole an earlier agent punched), or its end."""
    try:
        return os.lseek(descriptor, 0, os.SEEK_DATA)
    except OSError as error:
        if error.errno == errno.ENXIO:  # all hole (or empty)
            return os.fstat(descriptor).st_size
        raise


@dataclass
class Follower:
    """One growing recording: its tmpfs file read, encrypted and punched as it grows."""

    source: Path
    facts: CallFacts
    store: RecordingStore
    recipient: bytes | None  # None: no privacy key, the audio is discarded
    descriptor: int = -1
    offset: int = 0
    punched: int = 0
    missing_bytes: int = 0  # audio an earlier agent had encrypted and could not finish
    out: BinaryIO | None = None
    encryptor: age.Encryptor | None = None
    resume_file: Path | None = None  # in RAM: how to go on after an agent restart
    saved_chunks: int = 0

    def open(self) -> None:
        self.descriptor = os.open(self.source, os.O_RDONLY | os.O_CLOEXEC)
        self.offset = self.punched = first_data(self.descriptor)
        self.missing_bytes = self.offset
        if self.recipient is not None:
            self.store.ensure()
            self.out = open_partial(self.store.partial_path(self.facts.recording_id))
            self.encryptor = age.Encryptor(self.out, self.recipient)
            self._save()

    def resume(self, state: dict[str, Any]) -> None:
        """Goes on where a stopped agent left: its .part cut back to what it had recorded as
        sealed, the audio from there read again (it was not punched) and sealed the same."""
        self.descriptor = os.open(self.source, os.O_RDONLY | os.O_CLOEXEC)
        part = self.store.partial_path(self.facts.recording_id)
        out = cast(BinaryIO, part.open("r+b"))
        out.truncate(int(state["part_bytes"]))
        out.seek(0, os.SEEK_END)
        self.out = out
        key, chunks = base64.b64decode(state["payload_key"]), int(state["sealed_chunks"])
        self.encryptor = age.Encryptor.resume(out, key, chunks)
        self.saved_chunks = chunks
        self.missing_bytes = int(state["missing_bytes"])
        self.offset = self.missing_bytes + chunks * age.CHUNK
        self.punched = self.offset // PAGE * PAGE

    def _save(self) -> None:
        """Records, in RAM (root only), what is sealed so far, before any of it is punched."""
        if self.resume_file is None or self.encryptor is None or self.out is None:
            return
        self.out.flush()
        state = {
            "source": self.source.name,
            "payload_key": base64.b64encode(self.encryptor.payload_key).decode(),
            "sealed_chunks": self.encryptor.sealed_chunks,
            "part_bytes": self.out.tell(),
            "missing_bytes": self.missing_bytes,
        }
        files.write_file(self.resume_file, json.dumps(state), mode=0o600)
        self.saved_chunks = self.encryptor.sealed_chunks

    def step(self) -> bool:
        """Takes in what was added; True once the recording is finished and stored."""
        finished = not has_writer(self.descriptor)  # before the last read: nothing follows
        while True:
            data = os.pread(self.descriptor, READ_SIZE, self.offset)
            if not data:
                break
            self.offset += len(data)
            if self.encryptor is not None:
                self.encryptor.write(data)
        if self.out is not None:
            self.out.flush()
        if finished:
            self._finish()
            return True
        if self.encryptor is not None and self.encryptor.sealed_chunks != self.saved_chunks:
            self._save()
        self._punch()
        return False

    def _punch(self) -> None:
        # Only what is sealed on disk (and recorded as such) leaves the tmpfs: the chunk the
        # encryptor holds stays there too, so a restarted agent can seal it again.
        held = self.encryptor.held if self.encryptor is not None else 0
        taken = (self.offset - held) // PAGE * PAGE
        if taken > self.punched:
            punch_hole(self.source, self.punched, taken - self.punched)
            self.punched = taken

    def _finish(self) -> None:
        recording_id = self.facts.recording_id
        if self.encryptor is not None and self.out is not None:
            self.encryptor.finish()
            self.out.flush()
            os.fsync(self.out.fileno())
            self.out.close()
            self.out = None
            audio = self.encryptor.plaintext_bytes
            facts = {
                "id": recording_id,
                "started": self.facts.started,
                "direction": self.facts.direction,
                "caller": self.facts.caller,
                "called": self.facts.called,
                "target": "internal",
                "duration_seconds": round(audio / BYTES_PER_SECOND, 2),
                "audio_bytes": audio,
                "incomplete": self.missing_bytes > 0,
                "missing_seconds": round(self.missing_bytes / BYTES_PER_SECOND, 2),
                "format": "signed linear PCM, 8 kHz, 16 bit, mono (raw)",
            }
            self.store.publish(recording_id, facts)
            log.info(
                "recording %s stored encrypted (%.1f s)", recording_id, audio / BYTES_PER_SECOND
            )
        self.close()
        self.source.unlink(missing_ok=True)
        self.forget()

    def forget(self) -> None:
        if self.resume_file is not None:
            self.resume_file.unlink(missing_ok=True)

    def close(self) -> None:
        out, self.out = self.out, None
        try:
            if out is not None:
                out.close()
        finally:
            if self.descriptor >= 0:
                os.close(self.descriptor)
                self.descriptor = -1

    def abandon(self) -> None:
        """After a failure: the partial file goes; the tmpfs file is punched from now on."""
        # Closing flushes what is buffered: on a full disk that fails too, and the file is
        # being dropped anyway.
        with contextlib.suppress(OSError):
            self.close()
        self.store.drop_partial(self.facts.recording_id)
        self.forget()


class RecordingSpool:
    """Follows every recording in the RAM spool, in a thread polling every poll_seconds."""

    def __init__(
        self,
        spool_dir: Path,
        store: RecordingStore,
        recipient: Callable[[], bytes | None],
        poll_seconds: float = 0.5,
        resume_dir: Path | None = None,
    ) -> None:
        self.spool_dir = spool_dir
        self.resume_dir = resume_dir  # RAM, root only (the agent's run directory)
        self.store = store
        self._recipient = recipient
        self._poll = poll_seconds
        self._followers: dict[str, Follower] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.discarded = 0  # recordings lost since the agent started, and why (the alarm)
        self.stored: Callable[[], None] = lambda: None  # after each recording (retention)
        # Each recording stored, by id: the placement moves it to its target (wiring).
        self.finished: Callable[[str], None] = lambda recording_id: None
        self.last_failure: str | None = None

    def start(self) -> None:
        try:  # on the unit a tmpfs mount point (fstab); elsewhere made here
            self.spool_dir.mkdir(mode=0o770, parents=True, exist_ok=True)
        except OSError as error:
            log.error("recording spool %s: %s", self.spool_dir, error)
        self.recover()
        self._thread = threading.Thread(target=self._run, name="recording-spool", daemon=True)
        self._thread.start()

    def recover(self) -> None:
        """Takes up the recordings an earlier agent was encrypting when it stopped."""
        if self.resume_dir is not None:
            self.resume_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for recording_id in self.store.orphans():
            self._resume(recording_id)

    def _resume_file(self, recording_id: str) -> Path | None:
        return None if self.resume_dir is None else self.resume_dir / f"{recording_id}.json"

    def _resume(self, recording_id: str) -> None:
        resume_file = self._resume_file(recording_id)
        try:
            if resume_file is None:
                raise FileNotFoundError("no resume directory")
            state = json.loads(resume_file.read_text())
            facts = parse_spool_name(str(state["source"]))
            if facts is None or facts.recording_id != recording_id:
                raise ValueError("resume state for another recording")
            follower = Follower(
                self.spool_dir / state["source"],
                facts,
                self.store,
                self._recipient(),
                resume_file=resume_file,
            )
            follower.resume(state)
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning(
                "recording %s: the part encrypted before the agent stopped cannot be "
                "finished (%s); the rest is kept",
                recording_id,
                error,
            )
            self.store.drop_partial(recording_id)
            if resume_file is not None:
                resume_file.unlink(missing_ok=True)
            return
        log.info("recording %s: going on where the agent stopped", recording_id)
        self._followers[follower.source.name] = follower

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)
        for follower in self._followers.values():
            follower.close()

    def alarms(self) -> list[str]:
        found = []
        if self.discarded:
            found.append(
                f"{self.discarded} call recording(s) lost since the agent started: "
                f"{self.last_failure}"
            )
        return found

    def _run(self) -> None:
        while not self._stopping.wait(self._poll):
            try:
                self.scan()
            except Exception:  # the spool must go on: a failure is logged, retried next poll
                log.exception("recording spool scan failed")

    def scan(self) -> None:
        self._pick_up_new()
        for name, follower in list(self._followers.items()):
            try:
                done = follower.step()
            except OSError as error:
                done = not self._fail(follower, error)
            else:
                if done:
                    self.stored()
                    self.finished(follower.facts.recording_id)
            if done:
                del self._followers[name]

    def _pick_up_new(self) -> None:
        try:
            entries = list(os.scandir(self.spool_dir))
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.name in self._followers or not entry.is_file(follow_symlinks=False):
                continue
            facts = parse_spool_name(entry.name)
            path = Path(entry.path)
            if facts is None:
                log.error("recording spool: %r is not a recording's name: deleted", entry.name)
                path.unlink(missing_ok=True)
                continue
            follower = Follower(
                path,
                facts,
                self.store,
                self._recipient(),
                resume_file=self._resume_file(facts.recording_id),
            )
            if follower.recipient is None:
                self._lost("no privacy password is set (orpheusctl privacy set-password)")
            try:
                follower.open()
            except OSError as error:
                if not self._fail(follower, error):
                    continue
            self._followers[entry.name] = follower

    def _fail(self, follower: Follower, error: OSError) -> bool:
        """A recording that cannot be stored: counted, its partial file dropped; True when its
        tmpfs file can still be followed (and punched away unread)."""
        reason = "the data partition is full" if is_disk_full(error) else str(error)
        log.error("recording %s lost: %s", follower.facts.recording_id, reason)
        follower.abandon()
        if follower.recipient is None:  # even discarding fails: leave it to Asterisk's end
            follower.source.unlink(missing_ok=True)
            return False
        self._lost(reason)
        follower.recipient = None
        follower.encryptor = None
        try:
            follower.descriptor = os.open(follower.source, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return False
        return True

    def _lost(self, reason: str) -> None:
        self.discarded += 1
        self.last_failure = reason
