"""A PBX change writes its Asterisk files all or nothing, and keeps them only if stored."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from orpheus import files
from orpheus.pbx.apply import RELOAD_ALL, modules_to_reload
from orpheus.pbx.store import PbxStore
from tests.agent_parts import PbxUnit


@pytest.fixture
def unit(tmp_path: Path) -> PbxUnit:
    unit = PbxUnit(tmp_path / "data", tmp_path)
    answer = unit.request(
        "POST", "/api/v1/pbx/extension", {"number": "101", "password": "pw101pw101"}
    )
    assert answer.status == 200, answer
    return unit


def test_a_change_leaves_only_its_files_readable_by_asterisk(unit: PbxUnit) -> None:
    names = set(unit.asterisk_files())
    assert names == {"extensions.conf", "manager.conf", "pjsip.d/orpheus.conf", "queues.conf"}
    for name in names:
        info = (unit.asterisk_dir / name).stat()
        assert stat.S_IMODE(info.st_mode) == 0o640
        assert (info.st_uid, info.st_gid) == (unit.asterisk_dir.stat().st_uid,
                                              unit.asterisk_dir.stat().st_gid)  # fmt: skip


def test_store_failing_after_the_files_puts_the_files_back(
    unit: PbxUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    files_before, stored_before = unit.asterisk_files(), unit.stored()
    renamed: list[dict[str, bytes]] = []

    def full_store(self: PbxStore, *args: object) -> None:
        renamed.append(unit.asterisk_files())  # the new files are in place at this point
        raise files.DiskFull(unit.state_dir / "pbx.sqlite")

    monkeypatch.setattr(PbxStore, "commit", full_store)
    answer = unit.request(
        "POST", "/api/v1/pbx/extension", {"number": "102", "password": "pw102pw102"}
    )
    assert answer.status == 507
    assert answer.body == {"error": f"disk full: could not write {unit.state_dir / 'pbx.sqlite'}"}
    assert b"102" in renamed[0]["pjsip.d/orpheus.conf"]
    assert unit.asterisk_files() == files_before
    assert unit.stored() == stored_before
    assert unit.request("GET", "/api/v1/pbx/extension/102").status == 404


def test_a_file_that_cannot_be_written_changes_no_file(
    unit: PbxUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of the change's files meets a full disk: the first is not renamed either."""
    files_before, stored_before = unit.asterisk_files(), unit.stored()
    real_write, calls = os.write, []

    def second_write_fails(descriptor: int, data: bytes) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", second_write_fails)
    answer = unit.request(
        "POST", "/api/v1/pbx/extension", {"number": "102", "password": "pw102pw102"}
    )
    assert answer.status == 507
    assert answer.body["error"].startswith("disk full: could not write ")
    assert len(calls) == 2
    assert unit.asterisk_files() == files_before
    assert unit.stored() == stored_before


def test_synced_files_reload_the_modules_that_read_them() -> None:
    assert modules_to_reload(["pjsip.d/orpheus.conf", "extensions.conf"]) == (
        "res_pjsip.so",
        "pbx_config.so",
    )
    assert modules_to_reload(["pjsip.d/100.conf", "pjsip.conf"]) == ("res_pjsip.so",)
    assert modules_to_reload(["manager.conf"]) == ()
    assert modules_to_reload(["queues.conf", "voicemail.conf"]) == (RELOAD_ALL,)
