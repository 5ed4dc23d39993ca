"""SQLite stores seen through their write-ahead log (orpheus.ha.filesets)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    "spelling",
    ["etc/asterisk/./manager.conf", "etc/asterisk//manager.conf", "etc/asterisk/x/../manager.conf",
     "/etc/asterisk/pjsip.conf", "etc/asterisk/pjsip.conf/", "./etc/asterisk/pjsip.conf",
     "etc/asterisk/pjsip\x00.conf", "orpheus/license.json", "orpheus/./pbx.sqlite"],
)  # fmt: skip
def test_a_path_spelt_otherwise_or_outside_the_sets_is_refused(
    spelling: str, tmp_path: Path
) -> None:
    assert not filesets.is_synced_path(spelling)
    with pytest.raises(ValueError, match="not in a synced set"):
        filesets.write_content(tmp_path, spelling, b"[orpheus]\nsecret=stolen\n")
    assert not any(tmp_path.rglob("*"))


def test_the_canonical_paths_are_synced() -> None:
    assert filesets.is_synced_path("etc/asterisk/pjsip.conf")
    assert filesets.is_synced_path("orpheus/pbx.sqlite")
    assert not filesets.is_synced_path("etc/asterisk/manager.conf")
    # on while this unit's own capture runs: the peer's Asterisk never gets it
    assert not filesets.is_synced_path("etc/asterisk/hep.conf")
    assert not filesets.is_synced_path("etc/asterisk/cdr_manager.conf")


def test_the_ami_accounts_are_synced_and_land_root_only(tmp_path: Path) -> None:
    """Their secrets: a unit that lacks the file gets it 0600, not the 0644 of other sets."""
    assert filesets.is_synced_path("orpheus/ami-users.json")
    writes = {"orpheus/ami-users.json": b'{"users": []}\n', "asterisk/sounds/custom/a.wav": b"R"}
    with filesets.landing(tmp_path, writes):
        pass
    assert (tmp_path / "orpheus/ami-users.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "asterisk/sounds/custom/a.wav").stat().st_mode & 0o777 == 0o644


def test_a_new_asterisk_file_lands_readable_by_asterisk_alone(tmp_path: Path) -> None:
    """A synced SIP TLS key (a new name for each pair) must not land world-readable."""
    (tmp_path / "etc/asterisk").mkdir(parents=True)
    key, prompt = "etc/asterisk/pjsip-tls/unit-0123.key", "asterisk/sounds/custom/hello.wav"
    with filesets.landing(tmp_path, {key: b"PRIVATE", prompt: b"RIFF"}):
        pass
    assert (tmp_path / key).stat().st_mode & 0o777 == 0o640
    directory = (tmp_path / "etc/asterisk").stat()
    assert ((tmp_path / key).stat().st_uid, (tmp_path / key).stat().st_gid) == (
        directory.st_uid, directory.st_gid)  # fmt: skip
    assert (tmp_path / prompt).stat().st_mode & 0o777 == filesets.NEW_FILE_MODE
    assert filesets.synced_set("etc/asterisk/manager.conf") is None  # node-local
