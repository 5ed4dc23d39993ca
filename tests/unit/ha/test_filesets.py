"""SQLite stores seen through their write-ahead log (orpheus.ha.filesets)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orpheus.ha import filesets


def test_a_commit_in_the_wal_changes_the_stamp_and_the_content(tmp_path: Path) -> None:
    store = tmp_path / "orpheus/pbx.sqlite"
    store.parent.mkdir()
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE records (key TEXT)")
    before = filesets.stamps(tmp_path)["orpheus/pbx.sqlite"]
    content = filesets.read_content(tmp_path, "orpheus/pbx.sqlite")
    db.execute("INSERT INTO records VALUES ('101')")
    assert filesets.stamps(tmp_path)["orpheus/pbx.sqlite"] != before
    changed = filesets.read_content(tmp_path, "orpheus/pbx.sqlite")
    assert filesets.digest(changed) != filesets.digest(content)

    # Restored into another live WAL store: readable there, which stays in WAL mode.
    other = tmp_path / "other"
    (other / "orpheus").mkdir(parents=True)
    target = sqlite3.connect(other / "orpheus/pbx.sqlite", isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("CREATE TABLE records (key TEXT)")
    filesets.write_content(other, "orpheus/pbx.sqlite", changed)
    assert target.execute("SELECT key FROM records").fetchall() == [("101",)]
    assert target.execute("PRAGMA journal_mode").fetchone() == ("wal",)
