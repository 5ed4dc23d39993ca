"""The PBX configuration and its audit log, in one SQLite file on the data partition.

A change and its audit entry are written in the same transaction: there is never a change
without its entry, nor an entry for a change that did not happen. WAL with synchronous=NORMAL
keeps the writes per change few (the SSD of a fanless unit).
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.files import disk_full_as
from orpheus.pbx.records import Record

Config = dict[str, dict[str, Record]]  # kind -> key -> record, in creation order

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (kind, key)
);
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


@dataclass(frozen=True)
class AuditEntry:
    change: str  # e.g. "extension.create", "license.install"
    object: str  # e.g. "extension 101"
    user: str
    before: Any
    after: Any


def now_utc() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class PbxStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def load(self) -> Config:
        config: Config = {}
        with self._lock:
            rows = self._db.execute("SELECT kind, key, data FROM records ORDER BY seq").fetchall()
        for kind, key, data in rows:
            config.setdefault(kind, {})[key] = json.loads(data)
        return config

    def commit(self, kind: str, key: str, record: Record | None, entry: AuditEntry) -> None:
        """Stores (or deletes, when record is None) one record with its audit entry."""
        with self._transaction():
            if record is None:
                self._db.execute("DELETE FROM records WHERE kind=? AND key=?", (kind, key))
            else:
                self._db.execute(
                    "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data=excluded.data",
                    (kind, key, json.dumps(record, sort_keys=True)),
                )
            self._insert_audit(entry)

    def commit_many(self, changes: list[tuple[str, str, Record]], entry: AuditEntry) -> None:
        """Bulk creation (imports, benchmarks): every record and one audit entry at once."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET data=excluded.data",
                [(k, key, json.dumps(r, sort_keys=True)) for k, key, r in changes],
            )
            self._insert_audit(entry)

    def append_audit(self, entry: AuditEntry) -> None:
        with self._lock, disk_full_as(self._path):
            self._insert_audit(entry)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction; a full disk (also at COMMIT, where WAL frames are written)
        rolls it back and raises DiskFull."""
        with self._lock, disk_full_as(self._path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _insert_audit(self, entry: AuditEntry) -> None:
        self._db.execute(
            "INSERT INTO audit (at, user, change, object, before, after) VALUES (?,?,?,?,?,?)",
            (
                now_utc(),
                entry.user,
                entry.change,
                entry.object,
                None if entry.before is None else json.dumps(entry.before, sort_keys=True),
                None if entry.after is None else json.dumps(entry.after, sort_keys=True),
            ),
        )

    def audit(self, since: str | None = None) -> list[dict[str, Any]]:
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
