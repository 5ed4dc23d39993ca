"""The call detail records on the data partition, each one encrypted to the privacy key.

One file a day (the call's start, UTC): `cdr/YYYY-MM-DD.cdr`. Each record is one line, the
base64 of a whole age file (X25519, to the privacy key's recipient) holding the record as
JSON: `base64 -d | age -d -i identity` reads a line. A file is only ever appended to (one
write of the whole line, then fsync), never rewritten: a line that a crash cut is skipped
when reading (and a newline is put after it before the next record), the others stay good.
A record costs about 500 bytes on disk.

Without a privacy password there is no key to encrypt to: the record is not stored
(counted in an alarm), as recordings are not; nothing about a call is kept in plain.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import io
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orpheus.cdr.records import CdrFilter, CdrRecord, Refused
from orpheus.files import disk_full_as
from orpheus.privacy import age

log = logging.getLogger(__name__)

SUFFIX = ".cdr"
MAX_LINE = 16 * 1024  # a record's line is ~500 bytes
_DAY_NAME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}" + re.escape(SUFFIX))


@dataclass
class Read:
    records: list[CdrRecord]
    damaged: int  # lines that did not decrypt or parse (cut by a crash, or changed)


class CdrStore:
    def __init__(self, directory: Path, recipient: Callable[[], bytes | None]) -> None:
        self.directory = directory
        self._recipient = recipient
        self._lock = threading.Lock()
        self.stored = 0
        self.lost = 0
        self.last_failure = ""

    def _day_path(self, day: datetime.date) -> Path:
        return self.directory / f"{day.isoformat()}{SUFFIX}"

    def append(self, record: CdrRecord) -> bool:
        """Encrypts and appends the record; False (counted, logged) when it cannot be kept."""
        recipient = self._recipient()
        if recipient is None:
            self._lose(record, "no privacy password is set (orpheusctl privacy set-password)")
            return False
        sealed = io.BytesIO()
        encryptor = age.Encryptor(sealed, recipient)
        encryptor.write(json.dumps(record.as_dict(), sort_keys=True).encode())
        encryptor.finish()
        line = base64.b64encode(sealed.getvalue()) + b"\n"
        day = datetime.datetime.fromisoformat(record.start).date()
        path = self._day_path(day)
        try:
            with self._lock, disk_full_as(path):
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                descriptor = os.open(
                    path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
                try:
                    if _ends_cut(descriptor):
                        line = b"\n" + line  # a line a crash cut stays alone (and skipped)
                    written = os.write(descriptor, line)
                    if written != len(line):
                        raise OSError(f"{path.name}: short write ({written} of {len(line)})")
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
        except OSError as error:
            self._lose(record, str(error))
            return False
        self.stored += 1
        return True

    def can_store(self) -> bool:
        return self._recipient() is not None

    def _lose(self, record: CdrRecord, reason: str) -> None:
        log.error("call detail record %s not stored: %s", record.id, reason)
        self.lost += 1
        self.last_failure = reason

    def days(self) -> list[datetime.date]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            if _DAY_NAME.fullmatch(path.name) and path.is_file():
                try:
                    found.append(datetime.date.fromisoformat(path.name.removesuffix(SUFFIX)))
                except ValueError:
                    continue
        return sorted(found)

    def read(self, identity: bytes, selection: CdrFilter) -> Read:
        """The records the filter takes, oldest first (by start, then id)."""
        records: list[CdrRecord] = []
        damaged = 0
        for day in selection.days(self.days()):
            for line in _lines(self._day_path(day)):
                try:
                    record = _decrypt_line(line, identity)
                except (Refused, age.AgeError, ValueError) as error:
                    log.warning("call detail records of %s: a line skipped: %s", day, error)
                    damaged += 1
                    continue
                if selection.matches(record):
                    records.append(record)
        records.sort(key=lambda r: (r.start, r.id))
        return Read(records, damaged)

    def alarms(self) -> list[str]:
        if not self.lost:
            return []
        return [
            f"{self.lost} call detail record(s) not stored since the agent started: "
            f"{self.last_failure}"
        ]


def _ends_cut(descriptor: int) -> bool:
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"


def _lines(path: Path) -> Iterator[bytes]:
    try:
        source = path.open("rb")
    except FileNotFoundError:
        return
    with source:
        while line := source.readline(MAX_LINE + 1):
            if len(line) > MAX_LINE:
                # a line longer than any record: skip to its end, report it once
                while line and not line.endswith(b"\n"):
                    line = source.readline(MAX_LINE + 1)
                yield b"!"
                continue
            if line.strip():
                yield line.strip()


def _decrypt_line(line: bytes, identity: bytes) -> CdrRecord:
    try:
        sealed = base64.b64decode(line, validate=True)
    except binascii.Error as error:
        raise Refused(f"not base64: {error}") from error
    plain = b"".join(age.decrypt(io.BytesIO(sealed), identity))
    values = json.loads(plain)
    if not isinstance(values, dict):
        raise Refused("not a record")
    return CdrRecord.from_dict(values)
