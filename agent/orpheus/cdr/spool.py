"""The second way records reach the agent: cdr_custom's file in RAM, for the calls that end
while the agent is not on AMI (restarting, updated, crashed), which cdr_manager does not queue.

Asterisk's cdr_custom appends each record to `spool.csv` in a RAM directory (a tmpfs under
/run: no plain record reaches a disk), opening and closing the file for each record. The
agent takes the file by renaming it to `taken.csv` (Asterisk's next record makes a new
spool.csv), reads it, hands each row on, and deletes it. A `taken.csv` that is there at
the start (the agent died while reading it) is read first. The same records also came over
AMI while the agent was connected: the feature keeps each one once (cdr/seen.py).

The rows are hostile input (a caller ID is anyone's): RFC 4180 CSV, every field quoted and a
quote in a value doubled (cdr_custom's `dsv` with the quote as its own escape), so a newline
or a comma in a caller ID stays inside its field and no value can start a row of its own;
the first field is a marker of this layout, each row has exactly the fields rendered below,
and a row becomes the same mapping as an AMI `Cdr` event, checked by records.parse_event.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

CDR_CUSTOM_CONF = "cdr_custom.conf"
CDR_CUSTOM = "cdr_custom.so"
# As Asterisk sees it: on /run's tmpfs (tmpfiles.d makes the directory, asterisk's group).
ASTERISK_SPOOL = "/run/orpheus-cdr"
SPOOL_NAME = "spool.csv"
TAKEN_NAME = "taken.csv"
MARKER = "orpheus-cdr-1"
# cdr_custom's field name (with its output form) -> the AMI Cdr event's name parse_event reads.
FIELDS = (
    ("uniqueid", "UniqueID"),
    ("disposition", "Disposition"),
    ("start(int64)", "StartEpoch"),
    ("answer(int64)", "AnswerEpoch"),
    ("end(int64)", "EndEpoch"),
    ("channel", "Channel"),
    ("dstchannel", "DestinationChannel"),
    ("duration", "Duration"),
    ("billsec", "BillableSeconds"),
    ("src", "Source"),
    ("dst", "Destination"),
)
MAX_TAKEN_BYTES = 16 * 1024 * 1024  # ~25,000 records; a larger file is cut, not read whole
MAX_FIELD = 4096
# Asterisk opens, writes and closes the file for each record (microseconds): a record it
# opened the file for just before the rename lands in the taken file within this time.
SETTLE_SECONDS = 0.2
_HEADER = "; Rendered by the Orpheus agent (cdr/spool.py): edits here are lost.\n"


def render_cdr_custom() -> str:
    fields = ",".join([f'"{MARKER}"', *(name for name, _ in FIELDS)])
    return (
        _HEADER + f"[{ASTERISK_SPOOL}/{SPOOL_NAME}]\n"
        "format = dsv\n"
        "separator_character = ,\n"
        'quote_character = "\n'
        'quote_escape_character = "\n'
        "quoting_method = all\n"
        f"fields = {fields}\n"
    )


class CdrSpool:
    """The agent's side of the RAM directory (its own path to it: a sandbox's in tests)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.refused = 0  # rows not of this layout (counted; parse_event checks the rest)

    @property
    def _taken(self) -> Path:
        return self.directory / TAKEN_NAME

    def take(self) -> bool:
        """True when there is a taken file to read (one left from before, or the spool
        renamed now); False when Asterisk wrote nothing since the last time."""
        if self._taken.exists():
            return True
        try:
            (self.directory / SPOOL_NAME).rename(self._taken)
        except FileNotFoundError:
            return False
        time.sleep(SETTLE_SECONDS)
        return True

    def events(self) -> Iterator[Mapping[str, str]]:
        """The taken file's rows as AMI-like `Cdr` events, in Asterisk's order."""
        try:
            data = _read_regular(self._taken, MAX_TAKEN_BYTES + 1)
        except FileNotFoundError:
            return
        except OSError as error:  # a symlink or a device Asterisk's side put there
            self.refused += 1
            log.error("call detail records' spool: %s", error)
            return
        if len(data) > MAX_TAKEN_BYTES:
            log.error("call detail records' spool larger than %d bytes: cut", MAX_TAKEN_BYTES)
            data = data[: data.rfind(b"\n", 0, MAX_TAKEN_BYTES) + 1]
        yield from self._rows(data.decode("utf-8", errors="replace"))

    def _rows(self, text: str) -> Iterator[Mapping[str, str]]:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # not cdr_custom's quoting: the rest is not trusted
                self.refused += 1
                log.error("call detail records' spool: line %d: %s", reader.line_num, error)
                return
            event = _event(row)
            if event is None:
                self.refused += 1
                log.error("call detail records' spool: line %d not a record", reader.line_num)
                continue
            yield event

    def done(self) -> None:
        """Every row of the taken file is kept (or refused): it goes."""
        self._taken.unlink(missing_ok=True)


def _read_regular(path: Path, limit: int) -> bytes:
    """Asterisk's group writes the directory: a link planted there is not followed."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        with os.fdopen(descriptor, "rb", closefd=False) as source:
            return source.read(limit)
    finally:
        os.close(descriptor)


def _event(row: list[str]) -> dict[str, str] | None:
    if len(row) != len(FIELDS) + 1 or row[0] != MARKER:
        return None
    if any(len(value) > MAX_FIELD for value in row):
        return None
    values = dict(zip((name for _, name in FIELDS), row[1:], strict=True))
    return {"Event": "Cdr", **values}
