"""The audit log, a table in the PBX's SQLite file (pbx.sqlite) on the data partition.

It stays in that file so that a PBX change and its entry are written in one transaction
(the store calls write_entry inside its own) and so that entries written by older firmware
are read as they are. Other features append through AuditLog.append.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from orpheus.files import disk_full_as

# The table as every firmware so far has created it: its columns must not change.
SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    change TEXT NOT NULL,
    object TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
"""
BUSY_TIMEOUT_SECONDS = 10.0  # the PBX store writes the same file from its own connection


@dataclass(frozen=True)
class AuditEntry:
    change: str  # e.g. "extension.create", "license.install"
    object: str  # e.g. "extension 101"
    user: str
    before: Any
    after: Any


class AuditSink(Protocol):
    """What a feature needs to record its changes."""

    def append(self, entry: AuditEntry) -> None: ...


def now_utc() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def ensure_table(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def write_entry(db: sqlite3.Connection, entry: AuditEntry) -> None:
    """Inserts one entry on db, inside whatever transaction the caller holds."""
    db.execute(
        "INSERT INTO audit (at, user, change, object, before, after) VALUES (?,?,?,?,?,?)",
        (
            now_utc(),
            entry.user,
            entry.change,
            entry.object,
            _json_or_none(entry.before),
            _json_or_none(entry.after),
        ),
    )


class AuditLog:
    def __init__(self, path: Path) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        ensure_table(self._db)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def append(self, entry: AuditEntry) -> None:
        with self._lock, disk_full_as(self._path):
            write_entry(self._db, entry)

    def read(self, since: str | None = None) -> list[dict[str, Any]]:
        """Entries in the order written; since: the UTC ISO text of the oldest to include."""
        query = "SELECT id, at, user, change, object, before, after FROM audit"
        params: tuple[str, ...] = ()
        if since:
            query, params = query + " WHERE at >= ?", (since,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [
            {
                "id": row[0],
                "at": row[1],
                "user": row[2],
                "change": row[3],
                "object": row[4],
                "before": None if row[5] is None else json.loads(row[5]),
                "after": None if row[6] is None else json.loads(row[6]),
            }
            for row in rows
        ]
