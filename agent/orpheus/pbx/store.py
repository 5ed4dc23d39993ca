"""The PBX configuration, in one SQLite file on the data partition with the audit log.

A change and its audit entry (orpheus.audit) are written in the same transaction: there is
never a change without its entry, nor an entry for a change that did not happen. WAL with
synchronous=NORMAL keeps the writes per change few (the SSD of a fanless unit).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orpheus.audit.log import AuditEntry, ensure_table, write_entry
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
"""


class PbxStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        ensure_table(self._db)
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
            write_entry(self._db, entry)

    def commit_many(self, changes: list[tuple[str, str, Record]], entry: AuditEntry) -> None:
        """Bulk creation (imports, benchmarks): every record and one audit entry at once."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET data=excluded.data",
                [(k, key, json.dumps(r, sort_keys=True)) for k, key, r in changes],
            )
            write_entry(self._db, entry)

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
