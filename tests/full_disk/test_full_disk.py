"""A full data partition (a tiny tmpfs) during a PBX change, an HA push and a licence
install: one line (507), and every file and the store as they were.

Needs root for the mount; the PBX runs in process with Asterisk stopped (tests/agent_parts.py):
the changes are written and stored for real, not reloaded.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus import files
from orpheus.audit.log import AuditEntry
from orpheus.ha.generation import SyncedConfig
from orpheus.pbx.store import PbxStore
from tests.agent_parts import PbxUnit

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounts a tiny tmpfs as the full data partition: needs root"
)
TMPFS_SIZE = "1m"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "data"
    mountpoint.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0755", "tmpfs", str(mountpoint)],
        check=True,
    )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(disk: Path) -> None:
    """Writes until the disk has no block left."""
    chunk = b"\0" * 4096
    with (disk / "filler").open("wb", buffering=0) as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(chunk)
        with contextlib.suppress(OSError):
            while True:  # the last partial block
                filler.write(b"\0")
    with pytest.raises(OSError) as raised:
        (disk / "probe").write_bytes(chunk)
    assert raised.value.errno == errno.ENOSPC


def no_leftovers(disk: Path) -> list[str]:
    return [str(p) for p in disk.rglob("*") if files.is_temporary(p.name)]


def _add(unit: PbxUnit, number: str) -> int:
    body = {"number": number, "password": f"pw{number}pw{number}"}
    return unit.request("POST", "/api/v1/pbx/extension", body).status


def test_pbx_change_on_a_full_disk(tiny_disk: Path, tmp_path: Path) -> None:
    unit = PbxUnit(tiny_disk, tmp_path / "work")
    assert _add(unit, "101") == 200
    files_before, stored_before = unit.asterisk_files(), unit.stored()
    fill(tiny_disk)
    answer = unit.request(
        "POST", "/api/v1/pbx/extension", {"number": "102", "password": "pw102pw102"}
    )
    assert answer.status == 507
    message = answer.body["error"]
    assert message.startswith(f"disk full: could not write {unit.asterisk_dir}/")
    assert "\n" not in message
    assert unit.asterisk_files() == files_before
    assert unit.stored() == stored_before
    assert no_leftovers(tiny_disk) == []
    (tiny_disk / "filler").unlink()
    assert _add(unit, "102") == 200  # room again: the same change goes through


def test_pbx_store_full_after_the_files_are_in_place(
    tiny_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files fit; the disk fills up before the store commits (SQLite: SQLITE_FULL)."""
    unit = PbxUnit(tiny_disk, tmp_path / "work")
    assert _add(unit, "101") == 200
    files_before, stored_before = unit.asterisk_files(), unit.stored()
    real_commit = PbxStore.commit

    def fill_then_commit(self: PbxStore, *args: object) -> None:
        fill(tiny_disk)
        real_commit(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(PbxStore, "commit", fill_then_commit)
    answer = unit.request(
        "POST", "/api/v1/pbx/extension", {"number": "102", "password": "pw102pw102"}
    )
    assert answer.status == 507
    assert answer.body == {"error": f"disk full: could not write {unit.state_dir / 'pbx.sqlite'}"}
    assert unit.asterisk_files() == files_before
    assert unit.stored() == stored_before
    assert no_leftovers(tiny_disk) == []


def test_ha_push_on_a_full_disk(tiny_disk: Path, tmp_path: Path) -> None:
    master = PbxUnit(tmp_path / "master", tmp_path / "m")
    slave = PbxUnit(tiny_disk, tmp_path / "s")
    master_sync = SyncedConfig(master.data_dir, tmp_path / "m" / "generation.json")
    record_file = slave.state_dir / "ha" / "generation.json"
    slave_sync = SyncedConfig(slave.data_dir, record_file)
    assert _add(master, "101") == 200
    assert master_sync.scan(author=True)
    assert slave_sync.apply(master_sync.make_push({})).missing == []
    for number in ("102", "103", "104"):
        assert _add(master, number) == 200
    assert master_sync.scan(author=True)
    push = master_sync.make_push(slave_sync.record.manifest)
    assert "orpheus/pbx.sqlite" in push.files
    before = slave.asterisk_files(), slave.stored(), record_file.read_bytes()
    key = slave_sync.record.key()
    fill(tiny_disk)
    with pytest.raises(files.DiskFull, match=r"^disk full: could not write "):
        slave_sync.apply(push)
    assert (slave.asterisk_files(), slave.stored(), record_file.read_bytes()) == before
    assert slave_sync.record.key() == key
    assert no_leftovers(tiny_disk) == []


def test_ha_push_of_the_store_alone_on_a_full_disk(tiny_disk: Path, tmp_path: Path) -> None:
    """Only the live SQLite store changes: its copy meets the full disk (SQLITE_FULL)."""
    master = PbxUnit(tmp_path / "master", tmp_path / "m")
    slave = PbxUnit(tiny_disk, tmp_path / "s")
    master_sync = SyncedConfig(master.data_dir, tmp_path / "m" / "generation.json")
    slave_sync = SyncedConfig(slave.data_dir, slave.state_dir / "ha" / "generation.json")
    assert _add(master, "101") == 200
    master_sync.scan(author=True)
    assert slave_sync.apply(master_sync.make_push({})).missing == []
    # A change of the store only: an audit entry (as a refused change or licence would add).
    master.audit.append(AuditEntry("test.note", "nothing", "tester", None, "x" * 200_000))
    assert master_sync.scan(author=True)
    push = master_sync.make_push(slave_sync.record.manifest)
    assert set(push.files) == {"orpheus/pbx.sqlite"}
    before = slave.asterisk_files(), slave.stored()
    fill(tiny_disk)
    with pytest.raises(files.DiskFull, match=r"pbx\.sqlite"):
        slave_sync.apply(push)
    assert (slave.asterisk_files(), slave.stored()) == before


def test_licence_install_on_a_full_disk(tiny_disk: Path, tmp_path: Path) -> None:
    unit = PbxUnit(tiny_disk, tmp_path / "work")
    assert unit.request("PUT", "/api/v1/license", unit.licence("mini")).status == 200
    licence_before = unit.licensing.license_file.read_bytes()
    files_before, stored_before = unit.asterisk_files(), unit.stored()
    fill(tiny_disk)
    answer = unit.request("PUT", "/api/v1/license", unit.licence("lite"))
    assert answer.status == 507
    assert answer.body == {"error": f"disk full: could not write {unit.licensing.license_file}"}
    assert unit.licensing.license_file.read_bytes() == licence_before
    assert unit.request("GET", "/api/v1/license").body["tier"] == "mini"
    assert (unit.asterisk_files(), unit.stored()) == (files_before, stored_before)
    assert no_leftovers(tiny_disk) == []
