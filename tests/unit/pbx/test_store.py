"""The PBX store (orpheus.pbx.store): a change and its audit entry in one SQLite transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus import files
from orpheus.audit.log import AuditEntry, AuditLog
from orpheus.pbx import store as store_module
from orpheus.pbx.store import PbxStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "orpheus" / "pbx.sqlite"  # the directory is created by the store


@pytest.fixture
def store(path: Path) -> Iterator[PbxStore]:
    store = PbxStore(path)
    yield store
    store.close()


def _entry(change: str, after: object = None) -> AuditEntry:
    return AuditEntry(change, "object", "alice", None, after)


def _changes(path: Path) -> list[str]:
    return [entry["change"] for entry in AuditLog(path).read()]


def test_a_commit_stores_the_record_with_its_audit_entry(store: PbxStore, path: Path) -> None:
    record = {"number": "101", "remote": False}
    store.commit("extension", "101", record, _entry("extension.create", record))
    assert store.load() == {"extension": {"101": record}}
    (entry,) = AuditLog(path).read()
    assert (entry["change"], entry["user"], entry["after"]) == (
        "extension.create",
        "alice",
        record,
    )


def test_load_keeps_creation_order_across_kinds_and_updates(store: PbxStore, path: Path) -> None:
    for key in ("103", "101", "102"):
        store.commit("extension", key, {"number": key}, _entry("extension.create"))
    store.commit("trunk", "t1", {"name": "t1"}, _entry("trunk.create"))
    store.commit("extension", "101", {"number": "101", "name": "new"}, _entry("extension.update"))
    config = store.load()
    assert list(config) == ["extension", "trunk"]
    assert list(config["extension"]) == ["103", "101", "102"]  # an update keeps its place
    assert config["extension"]["101"] == {"number": "101", "name": "new"}
    store.commit("extension", "103", None, _entry("extension.delete"))
    store.commit("extension", "103", {"number": "103"}, _entry("extension.create"))
    assert list(store.load()["extension"]) == ["101", "102", "103"]  # created again: last
    assert _changes(path)[-2:] == ["extension.delete", "extension.create"]


def test_a_deletion_of_the_last_record_leaves_no_kind(store: PbxStore) -> None:
    store.commit("queue", "sales", {"name": "sales"}, _entry("queue.create"))
    store.commit("queue", "sales", None, _entry("queue.delete"))
    assert store.load() == {}


def test_commit_many_stores_every_record_and_one_entry(store: PbxStore, path: Path) -> None:
    changes = [("extension", str(n), {"number": str(n)}) for n in range(200, 205)]
    store.commit_many(changes, _entry("extension.import"))
    assert list(store.load()["extension"]) == ["200", "201", "202", "203", "204"]
    assert _changes(path) == ["extension.import"]


def test_the_store_is_read_back_after_a_restart(store: PbxStore, path: Path) -> None:
    store.commit("trunk", "t1", {"name": "t1", "codecs": ["ulaw"]}, _entry("trunk.create"))
    store.close()
    again = PbxStore(path)
    try:
        assert again.load() == {"trunk": {"t1": {"name": "t1", "codecs": ["ulaw"]}}}
    finally:
        again.close()


def _failing_entry(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """The audit write fails after the record's write, inside the same transaction."""

    def write_entry(db: sqlite3.Connection, entry: AuditEntry) -> None:
        raise error

    monkeypatch.setattr(store_module, "write_entry", write_entry)


def test_a_failed_audit_write_rolls_the_record_back(
    store: PbxStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.commit("extension", "101", {"number": "101"}, _entry("extension.create"))
    with monkeypatch.context() as patch:
        _failing_entry(patch, RuntimeError("audit broken"))
        with pytest.raises(RuntimeError, match="audit broken"):
            store.commit("extension", "102", {"number": "102"}, _entry("extension.create"))
        with pytest.raises(RuntimeError, match="audit broken"):
            store.commit("extension", "101", None, _entry("extension.delete"))
        with pytest.raises(RuntimeError, match="audit broken"):
            store.commit_many([("trunk", "t1", {"name": "t1"})], _entry("trunk.import"))
    assert store.load() == {"extension": {"101": {"number": "101"}}}
    assert _changes(path) == ["extension.create"]
    # The connection is usable again: no transaction was left open.
    store.commit("extension", "102", {"number": "102"}, _entry("extension.create"))
    assert list(store.load()["extension"]) == ["101", "102"]


def test_a_full_disk_is_disk_full_and_changes_nothing(
    store: PbxStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    _failing_entry(monkeypatch, full)
    with pytest.raises(files.DiskFull, match=str(path)):
        store.commit("extension", "101", {"number": "101"}, _entry("extension.create"))
    monkeypatch.undo()
    assert store.load() == {}
    assert _changes(path) == []
