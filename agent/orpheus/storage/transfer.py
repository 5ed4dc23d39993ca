"""One recording copied from one target's store to another's, verified before it counts.

The audio (already encrypted: nothing is decrypted here) is read once, hashed (SHA-256) as
it is read, written to `<id>.age.copy` on the destination and fsynced; the copy's pages are
then dropped from the page cache and the copy read back from the drive and hashed again.
Only when both hashes agree is the copy renamed to `<id>.age` and its facts written (which
makes it appear in the destination's list). A move deletes the source only after that.

Every step can be repeated after a crash: a copy already on the destination with the same
bytes counts as done, one with other bytes is a conflict (both are kept).
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orpheus.recordings.store import NoSuchRecording, RecordingStore, open_regular

# Large blocks: fewer system calls and hash calls per file (a recording is a few MiB).
BUFFER = 4 * 1024 * 1024
# open_regular's refusals: a symbolic link (ELOOP) or a FIFO, device or directory (EINVAL).
_NOT_A_FILE = frozenset({errno.ELOOP, errno.EINVAL})
Outcome = Literal["copied", "present"]
# Called as each recording passes a step: ("written" | "published" | "deleted", id). The
# crash tests stop the process there; the agent passes nothing.
Checkpoint = Callable[[str, str], None]


class VerifyFailed(Exception):
    """The copy read back is not what was read from the source: the source is kept."""


class Skipped(Exception):
    """A recording left where it is, the job going on: one line for its log."""


class Conflict(Skipped):
    """The destination holds a different recording under the same id: both are kept."""


@dataclass
class Side:
    """A target's store and its name (for the facts and messages)."""

    name: str
    store: RecordingStore


@dataclass
class Staged:
    """A copy written and fsynced under its staging name, not yet read back."""

    recording_id: str
    facts: dict[str, object]
    path: Path
    expected: tuple[bytes, int]  # the source's SHA-256 and size, as read while copying


def _no_checkpoint(step: str, recording_id: str) -> None:
    pass


def file_hash(path: Path, *, uncached: bool = False) -> tuple[bytes, int]:
    """SHA-256 and size of a regular file (a link or FIFO is refused); uncached: read from
    the device, not from the page cache (after an fsync the pages are clean and can go)."""
    descriptor = open_regular(path)
    try:
        if uncached:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            # Then the whole file asked for from the device at once (not the default
            # readahead's small steps): the reads run while the first blocks are hashed.
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
        digest, size = hashlib.sha256(), 0
        while block := os.read(descriptor, BUFFER):
            digest.update(block)
            size += len(block)
        return digest.digest(), size
    finally:
        os.close(descriptor)


class Copier:
    def __init__(
        self,
        source: Side,
        destination: Side,
        progress: Callable[[int], None],
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> None:
        self.source = source
        self.destination = destination
        self._progress = progress  # bytes copied since the last call
        self._checkpoint = checkpoint

    def copy(self, recording_id: str) -> Outcome:
        """The recording on the destination, verified; NoSuchRecording when the source has
        none, Conflict, VerifyFailed, or the OSError of either drive (the partial removed)."""
        return self.finish(self.prepare(recording_id))

    def prepare(self, recording_id: str) -> Staged | Outcome:
        """copy()'s first half: the checks, and the copy written and fsynced beside its
        final name (or "present"); finish() verifies and publishes it. A job runs the first
        half of the next recording while the second half of this one runs (pipeline.py)."""
        facts = self.source.store.get(recording_id)
        source_audio = self.source.store.audio_path(recording_id)
        target_audio = self.destination.store.audio_path(recording_id)
        facts |= {"id": recording_id, "target": self.destination.name}
        try:
            os.close(open_regular(source_audio))
        except OSError as error:
            if error.errno in _NOT_A_FILE:  # a drive's link or FIFO under a recording's name
                raise Skipped(f"{recording_id} on {self.source.name} is not a file") from error
            raise
        if target_audio.exists() or target_audio.is_symlink():
            if self._differs(source_audio, target_audio):
                raise Conflict(
                    f"{self.destination.name} already holds another recording {recording_id}"
                )
            if not self.destination.store.facts_path(recording_id).exists():
                self.destination.store.publish(recording_id, facts, staged=target_audio)
            return "present"
        # Not its parents: a drive's mount point that is gone must not be made again (the
        # copy would land in RAM, under /run).
        self.destination.store.directory.mkdir(mode=0o700, exist_ok=True)
        staged = self.destination.store.copy_path(recording_id)
        try:
            expected = self._write(source_audio, staged)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        self._checkpoint("written", recording_id)
        return Staged(recording_id, facts, staged, expected)

    def finish(self, prepared: Staged | Outcome) -> Outcome:
        """copy()'s second half: the copy read back from the drive, compared, published."""
        if not isinstance(prepared, Staged):
            return prepared
        recording_id = prepared.recording_id
        try:
            if file_hash(prepared.path, uncached=True) != prepared.expected:
                raise VerifyFailed(
                    f"the copy of {recording_id} on {self.destination.name} differs from its "
                    f"source when read back: source kept (is the drive failing?)"
                )
            self._publish(recording_id, prepared.facts, prepared.path)
        finally:
            prepared.path.unlink(missing_ok=True)
        self._checkpoint("published", recording_id)
        return "copied"

    @staticmethod
    def discard(prepared: Staged | Outcome) -> None:
        """A prepared copy the job will not finish (it stopped): its partial file goes."""
        if isinstance(prepared, Staged):
            prepared.path.unlink(missing_ok=True)

    def holds_copy_of(self, recording_id: str, source_audio: Path) -> bool:
        """Whether the destination lists the recording with the same bytes as source_audio
        (a move cut after its source's facts went: the audio alone is left there)."""
        store = self.destination.store
        if not store.facts_path(recording_id).exists():
            return False
        return not self._differs(source_audio, store.audio_path(recording_id))

    def _differs(self, source: Path, target: Path) -> bool:
        try:
            held = file_hash(target)
        except OSError as error:
            if error.errno in _NOT_A_FILE:
                return True
            raise
        return file_hash(source) != held

    def _publish(self, recording_id: str, facts: dict[str, object], staged: Path) -> None:
        store = self.destination.store
        try:
            store.publish(recording_id, facts, staged=staged)
        except BaseException:  # renamed but its facts not written: not left half there
            if not store.facts_path(recording_id).exists():
                store.audio_path(recording_id).unlink(missing_ok=True)
            raise

    def _write(self, source: Path, staged: Path) -> tuple[bytes, int]:
        """Copies source to staged (a new file: O_EXCL, a planted link is not followed),
        fsynced; the source's SHA-256 and size as read."""
        digest, size = hashlib.sha256(), 0
        reader = open_regular(source)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            writer = os.open(staged, flags, 0o600)
            try:
                while block := os.read(reader, BUFFER):
                    digest.update(block)  # the bytes read: the source is read once
                    self.write_block(writer, block)
                    size += len(block)
                    self._progress(len(block))
                os.fsync(writer)
            finally:
                os.close(writer)
        finally:
            os.close(reader)
        return digest.digest(), size

    def write_block(self, writer: int, block: bytes) -> None:
        view = memoryview(block)
        while view:
            view = view[os.write(writer, view) :]

    def delete_source(self, recording_id: str) -> None:
        """After a verified copy (a move): the source's facts, then its audio."""
        try:
            self.source.store.delete(recording_id)
        except NoSuchRecording:  # its facts went before a crash: the audio is left
            self.source.store.audio_path(recording_id).unlink(missing_ok=True)
        self._checkpoint("deleted", recording_id)
