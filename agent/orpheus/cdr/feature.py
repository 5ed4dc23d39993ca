"""/api/v1/cdr: the call detail records, decrypted with the privacy password, filtered, as
JSON or CSV; and the AMI reader that stores each `Cdr` event as Asterisk sends it.

The records need the privacy password in the `X-Privacy-Password` header on every request,
checked by the privacy feature's unlock() (wrong ones rate limited per address and audited,
as for a recording's audio); each read is audited with its filter and the records' count.

The reader is one long AMI session of the agent's user logged in for the `cdr` class only;
at each connection it makes sure cdr_manager and cdr_custom run with the agent's files and
no file backend writes to a disk (asterisk_side). cdr_manager keeps no queue: the records of
calls that end while the agent is not connected reach it through cdr_custom's RAM spool
(spool.py), read at the start and every few seconds; a record that comes both ways is
stored once (seen.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping

import bottle

from orpheus.api.app import Api, ApiError
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.api.stream import Stream
from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.event_reader import AmiEventReader
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.cdr.asterisk_side import CdrSwitch
from orpheus.cdr.records import (
    DISPOSITIONS,
    CdrFilter,
    CdrRecord,
    Refused,
    parse_event,
    to_csv,
)
from orpheus.cdr.seen import SeenRecords
from orpheus.cdr.spool import CdrSpool
from orpheus.cdr.store import CdrStore
from orpheus.pbx.records import NAME as TRUNK_NAME
from orpheus.recordings.feature import PASSWORD_HEADER, header_password
from orpheus.recordings.selection import DATE_PATTERN

log = logging.getLogger(__name__)

Unlock = Callable[[str | None, str], bytes]
_TEXT = {"type": "string", "maxLength": 80}
_NULLABLE = {"type": ["string", "null"], "maxLength": 80}
RECORD = obj(
    {
        "id": {"type": "string"},
        "start": {"type": "string"},
        "answer": {"type": ["string", "null"]},
        "end": {"type": "string"},
        "duration": {"type": "integer"},
        "billsec": {"type": "integer"},
        "src": _TEXT,
        "dst": _TEXT,
        "disposition": {"type": "string", "enum": list(DISPOSITIONS.values())},
        "direction": {"type": "string"},
        "trunk": _NULLABLE,
        "extensions": {"type": "array", "items": _TEXT},
    },
    ("id", "start", "end", "duration", "billsec", "src", "dst", "disposition", "direction"),
)
QUERY = {
    "from": string(f"^{DATE_PATTERN}$", max_length=10, error="a day: YYYY-MM-DD (UTC)"),
    "until": string(f"^{DATE_PATTERN}$", max_length=10, error="a day: YYYY-MM-DD (UTC)"),
    "extension": string(r"^[0-9A-Za-z+*#_.-]{1,80}$", max_length=80),
    "trunk": string(TRUNK_NAME.pattern, max_length=32, error="a trunk's name"),
    "disposition": {"type": "string", "enum": list(DISPOSITIONS.values())},
    "format": {"type": "string", "enum": ["json", "csv"]},
}


class CdrReader(AmiEventReader):
    """Follows AMI's `Cdr` events and hands each one to on_event; Asterisk's file backends
    are switched off first, so records from then on reach only this session."""

    def __init__(
        self,
        asterisk: Asterisk,
        switch: CdrSwitch,
        on_event: Callable[[Mapping[str, str]], None],
    ) -> None:
        super().__init__(asterisk, "cdr", "call detail records", self._message, switch.ensure)
        self._on_event = on_event

    def _message(self, message: Mapping[str, str]) -> None:
        if message.get("Event") == "Cdr":
            self._on_event(message)


class CdrFeature:
    name = "cdr"

    def __init__(
        self,
        store: CdrStore,
        unlock: Unlock,
        audit: AuditSink,
        seen: SeenRecords | None = None,
    ) -> None:
        self.store = store
        self._unlock = unlock
        self._audit = audit
        self._seen = seen or SeenRecords(None)
        self._keeping = threading.Lock()  # one path at a time between "seen?" and "stored"
        self.refused = 0
        self.reader: CdrReader | None = None  # set by wiring: it hands events to receive()
        self.spool: SpoolReader | None = None  # set by wiring: it hands rows to keep()
        # Each record kept, to its recording's facts (recordings/cdr_join.py; bootstrap).
        self.received: Callable[[CdrRecord], None] = lambda record: None

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/cdr",
            self.records,
            area="recordings",
            summary=f"The call detail records, decrypted, filtered, as JSON or CSV "
            f"(format=csv); needs the privacy password in the {PASSWORD_HEADER} header",
            query=QUERY,
            headers={PASSWORD_HEADER: string(max_length=256)},
            response=obj(
                {"records": {"type": "array", "items": RECORD}, "damaged": {"type": "integer"}},
                ("records", "damaged"),
            ),
        )

    def start(self) -> None:
        if self.spool is not None:
            self.spool.start()
        if self.reader is not None:
            self.reader.start()

    def stop(self) -> None:
        if self.reader is not None:
            self.reader.stop()
        if self.spool is not None:
            self.spool.stop()

    def receive(self, event: Mapping[str, str]) -> None:
        """One `Cdr` event over AMI: checked, encrypted, appended (or counted as refused)."""
        self.keep(event)

    def keep(self, event: Mapping[str, str]) -> bool:
        """A record from either path, stored unless it already was; False when it could not
        be stored now (the disk) and should be offered again."""
        try:
            record = parse_event(event)
        except Refused as error:
            self.refused += 1
            log.error("a call detail record refused: %s", error)
            return True
        with self._keeping:
            if record in self._seen:
                return True
            if not self.store.append(record):
                return not self.store.can_store()  # no privacy key: nothing to keep it for
            self._seen.add(record)
        try:
            self.received(record)
        except (OSError, ValueError) as error:
            log.error("call detail record %s not joined to its recording: %s", record.id, error)
        return True

    def drain_spool(self, spool: CdrSpool) -> None:
        """The RAM spool's records kept; on a failure to store one, the rest stay for the
        next time (those kept are seen then, and skipped)."""
        self._seen.prune()
        if not spool.take():
            return
        for event in spool.events():
            if not self.keep(event):
                log.warning("call detail records' spool kept for later: %s",
                            self.store.last_failure)  # fmt: skip
                return
        spool.done()

    def records(self) -> dict[str, object] | Stream:
        query = bottle.request.query
        try:
            selection = CdrFilter.from_query({name: query.get(name) for name in QUERY})
        except ValueError as error:
            raise ApiError(400, str(error)) from error
        identity = self._unlock(header_password(), "call detail records")
        found = self.store.read(identity, selection)
        wanted = query.get("format") or "json"
        self._append(
            AuditEntry(
                "cdr.read",
                "call detail records",
                request_user(),
                None,
                {**selection.as_dict(), "format": wanted, "records": len(found.records)},
            )
        )
        if wanted == "csv":
            data = to_csv(found.records).encode()
            return Stream("text/csv; charset=utf-8", len(data), [data])
        return {"records": [r.as_dict() for r in found.records], "damaged": found.damaged}

    def alarms(self) -> list[str]:
        found = self.store.alarms()
        refused = self.refused + (self.spool.spool.refused if self.spool else 0)
        if refused:
            found.append(f"{refused} call detail record(s) from Asterisk refused (see log)")
        return found

    def _append(self, entry: AuditEntry) -> None:
        try:
            self._audit.append(entry)
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit %s: %s", entry.change, error)


class SpoolReader:
    """A thread that drains the RAM spool into the feature at its start and every
    `interval` seconds, and once more as the agent stops (AMI no longer read by then)."""

    def __init__(self, spool: CdrSpool, feature: CdrFeature, interval: float) -> None:
        self.spool = spool
        self._feature = feature
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cdr-spool", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            try:
                self._feature.drain_spool(self.spool)
            except OSError as error:
                log.error("call detail records' spool %s: %s", self.spool.directory, error)
            if self._stop.is_set():
                return
            self._stop.wait(self._interval)
