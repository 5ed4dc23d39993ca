"""HA parts without a lab: keepalived.conf rendering, which reload a synced file needs, and
SQLite stores seen through their write-ahead log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orpheus.ha import filesets, keepalived
from orpheus.ha.pair import PairSettings
from orpheus.pbx.apply import RELOAD_ALL, modules_to_reload

PATHS = keepalived.KeepalivedPaths(Path("/"), Path("/run/orpheus/ha"), Path("/usr/lib/orpheus/ha"))
SETTINGS = PairSettings(
    node_id="ab" * 32, local_address="10.0.0.1", peer_address="10.0.0.2",
    peer_fingerprint="cd" * 32, vip="10.0.0.100/24", interface="eth0", priority=150,
    preferred_role="master",
)  # fmt: skip


def _global_defs(text: str) -> list[str]:
    block = text.split("global_defs {\n", 1)[1].split("}\n", 1)[0]
    return [line.strip() for line in block.splitlines()]


def test_keepalived_exports_its_vrrp_mibs_through_the_agentx_socket() -> None:
    text = keepalived.render(SETTINGS, PATHS, 80, Path("/run/agentx/master"))
    lines = _global_defs(text)
    assert "enable_snmp_vrrp" in lines
    assert "enable_snmp_rfcv3" in lines
    assert "snmp_socket unix:/run/agentx/master" in lines
    assert "vrrp_version 3" in lines


def test_keepalived_without_an_agentx_socket_has_no_snmp() -> None:
    assert "snmp" not in keepalived.render(SETTINGS, PATHS, 80)


def test_synced_files_reload_the_modules_that_read_them() -> None:
    assert modules_to_reload(["pjsip.d/orpheus.conf", "extensions.conf"]) == (
        "res_pjsip.so",
        "pbx_config.so",
    )
    assert modules_to_reload(["pjsip.d/100.conf", "pjsip.conf"]) == ("res_pjsip.so",)
    assert modules_to_reload(["manager.conf"]) == ()
    assert modules_to_reload(["queues.conf", "voicemail.conf"]) == (RELOAD_ALL,)


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
