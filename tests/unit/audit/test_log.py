"""The audit log: its own package, the same table in pbx.sqlite as every firmware so far."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orpheus.audit.log import AuditEntry, AuditLog
from orpheus.pbx.store import PbxStore

# The table as the firmware before orpheus.audit created it (then in pbx/store.py).
OLD_SCHEMA = """
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,
    change TEXT NOT NULL, object TEXT NOT NULL, before TEXT, after TEXT);
CREATE INDEX audit_at ON audit (at);
"""


def test_rows_written_by_older_firmware_are_read(tmp_path: Path) -> None:
    path = tmp_path / "pbx.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute(
        "INSERT INTO audit (at, user, change, object, before, after) VALUES (?,?,?,?,?,?)",
        ("2026-11-30T10:00:00.000+00:00", "admin", "extension.create", "extension 101",
         None, '{"number": "101"}'),
    )  # fmt: skip
    db.commit()
    db.close()
    audit = AuditLog(path)
    audit.append(AuditEntry("snmp.update", "snmp settings", "admin", {"a": 1}, {"a": 2}))
    entries = audit.read()
    assert [e["change"] for e in entries] == ["extension.create", "snmp.update"]
    assert entries[0]["after"] == {"number": "101"} and entries[0]["before"] is None
    assert entries[1]["before"] == {"a": 1} and entries[1]["id"] == 2


def test_since_filters_by_time(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "pbx.sqlite")
    audit.append(AuditEntry("license.install", "license L1", "admin", None, None))
    assert len(audit.read("2000-01-01T00:00:00.000+00:00")) == 1
    assert audit.read("2999-01-01T00:00:00.000+00:00") == []


def test_a_pbx_change_and_its_entry_share_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "pbx.sqlite"
    audit = AuditLog(path)
    store = PbxStore(path)
    entry = AuditEntry("extension.create", "extension 101", "admin", None, {"number": "101"})
    store.commit("extension", "101", {"number": "101"}, entry)
    bad = AuditEntry("extension.create", "extension 102", "admin", None, {1j})  # not JSON
    with pytest.raises(TypeError):
        store.commit("extension", "102", {"number": "102"}, bad)
    assert list(store.load()["extension"]) == ["101"]  # the record without its entry is gone
    assert [e["object"] for e in audit.read()] == ["extension 101"]
    store.close()
    audit.close()
