"""The encrypted recordings on the internal target (the data partition).

Each recording is two files in `recordings/`: `<id>.age`, the audio encrypted to the privacy
key (age, X25519), and `<id>.json`, what the unit knows of the call (date, parties,
direction, duration), which the list shows without the password. `<id>.age.part` is one
being written by the spool, `<id>.age.copy` one being copied here from another target
(storage/transfer.py). Ids are checked by full match before any path is made from them.
The same layout serves every target: the data partition and a USB drive's folder.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from orpheus import files
from orpheus.privacy import age
from orpheus.recordings.names import BYTES_PER_SECOND, SAMPLE_RATE, is_recording_id

log = logging.getLogger(__name__)

AUDIO_SUFFIX = ".age"
FACTS_SUFFIX = ".json"
PARTIAL_SUFFIX = ".age.part"
COPY_SUFFIX = ".age.copy"


# A recording's facts are a few hundred bytes; a drive's file may be anything.
MAX_FACTS_BYTES = 64 * 1024


class NoSuchRecording(LookupError):
    pass


class Damaged(ValueError):
    """A recording that fails its authentication (changed or cut on disk)."""


def wav_header(audio_bytes: int) -> bytes:
    """A RIFF/WAVE header for signed linear 8 kHz 16-bit mono audio of that many bytes."""
    return (
        b"RIFF"
        + struct.pack("<I", 36 + audio_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, BYTES_PER_SECOND, 2, 16)
        + b"data"
        + struct.pack("<I", audio_bytes)
    )


class RecordingStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ensure(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, recording_id: str, suffix: str) -> Path:
        if not is_recording_id(recording_id):
            raise NoSuchRecording(f"no recording {recording_id!r}")
        return self.directory / f"{recording_id}{suffix}"

    def partial_path(self, recording_id: str) -> Path:
        return self._path(recording_id, PARTIAL_SUFFIX)

    def audio_path(self, recording_id: str) -> Path:
        return self._path(recording_id, AUDIO_SUFFIX)

    def copy_path(self, recording_id: str) -> Path:
        return self._path(recording_id, COPY_SUFFIX)

    def facts_path(self, recording_id: str) -> Path:
        return self._path(recording_id, FACTS_SUFFIX)

    def publish(self, recording_id: str, facts: dict[str, Any], staged: Path | None = None) -> None:
        """The finished file (the .part unless staged names another) becomes the recording;
        its facts make it appear in the list."""
        partial = staged or self.partial_path(recording_id)
        audio = self.audio_path(recording_id)
        with files.disk_full_as(audio):
            partial.replace(audio)
            files.write_file(
                self._path(recording_id, FACTS_SUFFIX),
                json.dumps(facts | {"bytes": audio.stat().st_size}, sort_keys=True) + "\n",
                mode=0o600,
            )

    def annotate(self, recording_id: str, fields: dict[str, Any]) -> None:
        """Fields added to a finished recording's facts (its call's, from the CDR);
        NoSuchRecording when it has none here."""
        facts = self.get(recording_id)
        if not self.audio_path(recording_id).exists():
            raise NoSuchRecording(f"no recording {recording_id!r}")
        with files.disk_full_as(self.facts_path(recording_id)):
            files.write_file(
                self.facts_path(recording_id),
                json.dumps(facts | fields, sort_keys=True) + "\n",
                mode=0o600,
            )

    def recordings(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if not self.directory.is_dir():
            return found
        for path in self.directory.glob(f"*{FACTS_SUFFIX}"):
            recording_id = path.name.removesuffix(FACTS_SUFFIX)
            if not is_recording_id(recording_id):
                continue
            try:
                facts = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                log.error("recording %s: facts unreadable: %s", recording_id, error)
                continue
            if isinstance(facts, dict) and (self.directory / f"{recording_id}.age").exists():
                found.append(facts)
        return sorted(found, key=lambda facts: (str(facts.get("started")), str(facts.get("id"))))

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, facts) of every finished recording, the id from the files' names, oldest
        first; a recording whose facts cannot be read is left out (and logged)."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"*{FACTS_SUFFIX}"):
            recording_id = path.name.removesuffix(FACTS_SUFFIX)
            if not is_recording_id(recording_id) or not self.audio_path(recording_id).exists():
                continue
            try:
                found.append((recording_id, self.get(recording_id)))
            except NoSuchRecording as error:
                log.error("%s", error)
        return sorted(found, key=lambda entry: (str(entry[1].get("started")), entry[0]))

    def get(self, recording_id: str) -> dict[str, Any]:
        path = self._path(recording_id, FACTS_SUFFIX)
        try:
            facts = json.loads(read_regular(path, MAX_FACTS_BYTES))
        except FileNotFoundError:
            raise NoSuchRecording(f"no recording {recording_id!r}") from None
        except (OSError, ValueError) as error:  # a drive's planted link, FIFO or junk
            raise NoSuchRecording(f"recording {recording_id!r}: facts unreadable") from error
        if not isinstance(facts, dict):
            raise NoSuchRecording(f"recording {recording_id!r}: facts unreadable")
        return facts

    def delete(self, recording_id: str) -> dict[str, Any]:
        facts = self.get(recording_id)
        for suffix in (FACTS_SUFFIX, AUDIO_SUFFIX):  # facts first: it leaves the list at once
            self._path(recording_id, suffix).unlink(missing_ok=True)
        return facts

    def verify(self, recording_id: str, identity: bytes) -> int:
        """Decrypts the whole file without keeping it: the audio's size, or Damaged."""
        size = 0
        for chunk in self._decrypt(recording_id, identity):
            size += len(chunk)
        return size

    def wav(self, recording_id: str, identity: bytes, audio_bytes: int) -> Iterator[bytes]:
        """The recording as a WAV file, decrypted a chunk at a time (verify() first)."""
        yield wav_header(audio_bytes)
        yield from self._decrypt(recording_id, identity)

    def _decrypt(self, recording_id: str, identity: bytes) -> Iterator[bytes]:
        self.get(recording_id)  # NoSuchRecording first
        try:
            with self.audio_path(recording_id).open("rb") as source:
                yield from age.decrypt(source, identity)
        except age.AgeError as error:
            raise Damaged(f"recording {recording_id} is damaged: {error}") from error
        except FileNotFoundError:
            raise NoSuchRecording(f"no recording {recording_id!r}") from None

    def orphans(self) -> list[str]:
        """Ids of .part files: recordings whose encryption an agent stop cut short."""
        if not self.directory.is_dir():
            return []
        names = (p.name.removesuffix(PARTIAL_SUFFIX) for p in self.directory.glob("*.part"))
        return [name for name in names if is_recording_id(name)]

    def drop_partial(self, recording_id: str) -> None:
        self.partial_path(recording_id).unlink(missing_ok=True)

    def drop_copies(self, ids: Iterable[str] = ()) -> list[str]:
        """Removes the copies an interrupted transfer left (never the spool's .part files),
        and the staged facts a crash mid-publish left of the given ids (their writer was
        that transfer); the ids whose copy was dropped."""
        if not self.directory.is_dir():
            return []
        dropped = []
        for path in self.directory.glob(f"*{COPY_SUFFIX}"):
            recording_id = path.name.removesuffix(COPY_SUFFIX)
            if is_recording_id(recording_id) and (path.is_symlink() or not path.is_dir()):
                path.unlink(missing_ok=True)
                dropped.append(recording_id)
        facts = {f"{recording_id}{FACTS_SUFFIX}" for recording_id in ids}
        for path in self.directory.glob(".*.tmp"):
            if files.temporary_target(path.name) in facts and not path.is_dir():
                path.unlink(missing_ok=True)
        return dropped


def open_regular(path: Path) -> int:
    """A descriptor of path for reading, only if it is a regular file: a link is not
    followed and a FIFO a drive holds does not block (OSError otherwise)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError(errno.EINVAL, f"{path.name} is not a regular file")
    return descriptor


def read_regular(path: Path, limit: int) -> bytes:
    descriptor = open_regular(path)
    try:
        data = os.read(descriptor, limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise ValueError(f"{path.name} is larger than {limit} bytes")
    return data


def open_partial(path: Path) -> BinaryIO:
    """A new .part file, root-only, for the encryptor to write to."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    return cast(BinaryIO, os.fdopen(descriptor, "wb"))
