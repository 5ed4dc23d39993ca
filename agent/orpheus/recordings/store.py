"""The encrypted recordings on the internal target (the data partition).

Each recording is two files in `recordings/`: `<id>.age`, the audio encrypted to the privacy
key (age, X25519), and `<id>.json`, what the unit knows of the call (date, parties,
direction, duration), which the list shows without the password. `<id>.age.part` is one
being written. Ids are checked by full match before any path is made from them.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from orpheus import files
from orpheus.privacy import age
from orpheus.recordings.names import BYTES_PER_SECOND, SAMPLE_RATE, is_recording_id

log = logging.getLogger(__name__)

AUDIO_SUFFIX = ".age"
FACTS_SUFFIX = ".json"
PARTIAL_SUFFIX = ".age.part"


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

    def publish(self, recording_id: str, facts: dict[str, Any]) -> None:
        """The finished .part becomes the recording; its facts make it appear in the list."""
        partial, audio = self.partial_path(recording_id), self.audio_path(recording_id)
        with files.disk_full_as(audio):
            partial.replace(audio)
            files.write_file(
                self._path(recording_id, FACTS_SUFFIX),
                json.dumps(facts | {"bytes": audio.stat().st_size}, sort_keys=True) + "\n",
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
        return sorted(found, key=lambda facts: (str(facts.get("started")), str(facts["id"])))

    def get(self, recording_id: str) -> dict[str, Any]:
        path = self._path(recording_id, FACTS_SUFFIX)
        try:
            facts = json.loads(path.read_text())
        except FileNotFoundError:
            raise NoSuchRecording(f"no recording {recording_id!r}") from None
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


def open_partial(path: Path) -> BinaryIO:
    """A new .part file, root-only, for the encryptor to write to."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    return cast(BinaryIO, os.fdopen(descriptor, "wb"))
