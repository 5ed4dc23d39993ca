"""A push from the peer lands all or nothing: files, the live PBX store and the record."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from orpheus import files
from orpheus.ha import generation
from orpheus.ha.generation import Push, SyncedConfig
from tests.agent_parts import PbxUnit


def _synced_tree(unit: PbxUnit) -> dict[str, bytes]:
    """What a landing may change: Asterisk's files and the store's records, byte for byte."""
    return {**unit.asterisk_files(), "store": repr(unit.stored()).encode()}


class Pair:
    def __init__(self, tmp_path: Path) -> None:
        self.master = PbxUnit(tmp_path / "master", tmp_path / "m")
        self.slave = PbxUnit(tmp_path / "slave", tmp_path / "s")
        self.master_sync = SyncedConfig(self.master.data_dir, tmp_path / "m" / "generation.json")
        self.record_file = self.slave.state_dir / "ha" / "generation.json"
        self.slave_sync = SyncedConfig(self.slave.data_dir, self.record_file)

    def change(self, number: str) -> Push:
        body = {"number": number, "password": f"pw{number}pw{number}"}
        assert self.master.request("POST", "/api/v1/pbx/extension", body).status == 200
        assert self.master_sync.scan(author=True)
        return self.master_sync.make_push(self.slave_sync.record.manifest)


@pytest.fixture
def pair(tmp_path: Path) -> Pair:
    pair = Pair(tmp_path)
    applied = pair.slave_sync.apply(pair.change("101"))
    assert applied.missing == []
    return pair


def test_a_push_lands_every_file_and_the_store(pair: Pair) -> None:
    push = pair.change("102")
    assert {"orpheus/pbx.sqlite", "etc/asterisk/pjsip.d/orpheus.conf"} <= set(push.files)
    applied = pair.slave_sync.apply(push)
    assert applied.missing == []
    assert "102" in pair.slave.store.load()["extension"]
    assert pair.slave_sync.record.generation == push.generation
    leftovers = [p.name for p in pair.slave.data_dir.rglob("*") if files.is_temporary(p.name)]
    assert leftovers == []


def test_a_full_disk_on_the_second_file_lands_nothing(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    push = pair.change("102")
    before, record_before = _synced_tree(pair.slave), pair.record_file.read_bytes()
    key_before = pair.slave_sync.record.key()
    real_write, calls = os.write, []

    def second_write_fails(descriptor: int, data: bytes) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", second_write_fails)
    with pytest.raises(files.DiskFull):
        pair.slave_sync.apply(push)
    assert _synced_tree(pair.slave) == before
    assert pair.record_file.read_bytes() == record_before
    assert pair.slave_sync.record.key() == key_before
    monkeypatch.undo()
    assert pair.slave_sync.apply(push).missing == []  # the peer's next try lands
    assert "102" in pair.slave.store.load()["extension"]


def test_the_record_failing_puts_back_files_and_store(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everything is in place when the generation record meets a full disk: all goes back."""
    push = pair.change("102")
    before, record_before = _synced_tree(pair.slave), pair.record_file.read_bytes()
    key_before = pair.slave_sync.record.key()

    def full(path: Path, *args: object, **kwargs: object) -> None:
        assert "102" in pair.slave.store.load()["extension"]  # landed by now
        raise files.DiskFull(path)

    monkeypatch.setattr(generation, "write_file", full)
    with pytest.raises(files.DiskFull):
        pair.slave_sync.apply(push)
    assert _synced_tree(pair.slave) == before
    assert pair.record_file.read_bytes() == record_before
    assert pair.slave_sync.record.key() == key_before


def test_synced_files_keep_the_owner_and_mode_of_the_file_they_replace(pair: Pair) -> None:
    target = pair.slave.asterisk_dir / "pjsip.d" / "orpheus.conf"
    target.chmod(0o604)
    pair.slave_sync.apply(pair.change("102"))
    assert b"102" in target.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o604
