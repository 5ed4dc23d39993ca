"""The file writer (agent/orpheus/files.py): temporary files, modes, failures, groups."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from orpheus import files


@pytest.fixture
def predictable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Temporary names drawn from a list the test knows (and can plant symlinks at)."""
    names = [f".target.{n}.tmp" for n in range(3)]
    drawn = iter(names)
    monkeypatch.setattr(files, "_temporary_name", lambda target: next(drawn))
    return names


def test_write_file_replaces_content_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("old")
    target.chmod(0o644)
    files.write_file(target, "new", mode=0o600)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def test_write_file_creates_missing_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "target"
    files.write_file(target, b"\x00\x01", mode=0o640)
    assert target.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_symlink_at_temporary_path_is_not_followed(tmp_path: Path, predictable: list[str]) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    planted = tmp_path / predictable[0]
    planted.symlink_to(victim)
    target = tmp_path / "target"
    files.write_file(target, "new", mode=0o600)
    assert victim.read_text() == "precious"
    assert planted.is_symlink()
    assert target.read_text() == "new"
    assert not target.is_symlink()


def test_symlinks_at_every_candidate_refuse_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / ".target.planted.tmp").symlink_to(victim)
    monkeypatch.setattr(files, "_temporary_name", lambda target: ".target.planted.tmp")
    target = tmp_path / "target"
    target.write_text("old")
    with pytest.raises(FileExistsError):
        files.write_file(target, "new", mode=0o600)
    assert victim.read_text() == "precious"
    assert target.read_text() == "old"


def test_mode_is_set_before_data_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the first byte is written, the descriptor already has the target's mode."""
    seen: list[int] = []
    real_write = os.write

    def spying_write(descriptor: int, data: bytes) -> int:
        seen.append(stat.S_IMODE(os.fstat(descriptor).st_mode))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", spying_write)
    files.write_file(tmp_path / "secret", "s3cret", mode=0o640)
    assert seen and all(mode == 0o640 for mode in seen)


def test_owner_is_set_on_the_descriptor_before_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "fchown", lambda fd, uid, gid: calls.append(f"chown {uid}:{gid}"))
    real_write = os.write

    def spying_write(descriptor: int, data: bytes) -> int:
        calls.append("write")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", spying_write)
    files.write_file(tmp_path / "f", "x", mode=0o640, owner=os.getuid(), group=os.getgid())
    assert calls[0] == f"chown {os.getuid()}:{os.getgid()}"
    assert "write" in calls[1:]


def _fail_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def failing_write(descriptor: int, data: bytes) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", failing_write)


def test_failed_write_leaves_target_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    target.write_text("old")
    _fail_writes(monkeypatch, errno.EIO)
    with pytest.raises(OSError, match="Input/output") as raised:
        files.write_file(target, "new", mode=0o600)
    assert not isinstance(raised.value, files.DiskFull)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_full_disk_is_disk_full_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "target"
    target.write_text("old")
    _fail_writes(monkeypatch, code)
    with pytest.raises(files.DiskFull) as raised:
        files.write_file(target, "new", mode=0o600)
    assert str(raised.value) == f"disk full: could not write {target}"
    assert "\n" not in str(raised.value)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def test_failed_rename_leaves_target_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    target.write_text("old")

    def failing_replace(self: Path, other: Path) -> Path:
        raise OSError(errno.EIO, "rename failed")

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        files.write_file(target, "new", mode=0o600)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def test_sqlite_full_is_disk_full() -> None:
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    expected = "disk full: could not write the store"
    with pytest.raises(files.DiskFull, match=expected), files.disk_full_as("the store"):
        raise error


# -- groups ------------------------------------------------------------------------------------
def _tree(directory: Path, hidden: bool = True) -> dict[str, str]:
    """Every file; hidden=False leaves out the group's staged files and backups."""
    found = sorted(directory.iterdir())
    return {p.name: p.read_text() for p in found if hidden or not p.name.startswith(".")}


def test_group_commits_every_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a1")
    (tmp_path / "gone").write_text("x")
    with files.FileGroup() as group:
        group.write(tmp_path / "a", "a2", mode=0o640)
        group.write(tmp_path / "b", "b2", mode=0o600)
        group.delete(tmp_path / "gone")
        assert _tree(tmp_path, hidden=False) == {"a": "a1", "gone": "x"}
        group.commit()
    assert _tree(tmp_path) == {"a": "a2", "b": "b2"}
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o600


def test_group_rolls_back_after_commit_when_a_later_step_fails(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a1")
    (tmp_path / "a").chmod(0o644)
    (tmp_path / "gone").write_text("x")
    with pytest.raises(RuntimeError, match="store commit failed"), files.FileGroup() as group:
        group.write(tmp_path / "a", "a2", mode=0o600)
        group.write(tmp_path / "new", "n", mode=0o600)
        group.delete(tmp_path / "gone")
        group.commit()
        assert _tree(tmp_path, hidden=False) == {"a": "a2", "new": "n"}
        raise RuntimeError("store commit failed")
    assert _tree(tmp_path) == {"a": "a1", "gone": "x"}
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o644


def test_group_explicit_rollback(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a1")
    with files.FileGroup() as group:
        group.write(tmp_path / "a", "a2", mode=0o600)
        group.commit()
        group.rollback()
    assert _tree(tmp_path) == {"a": "a1"}


def test_group_staging_failure_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").write_text("a1")
    (tmp_path / "b").write_text("b1")
    real_write = os.write
    writes = iter([real_write, None])

    def second_fails(descriptor: int, data: bytes) -> int:
        if next(writes, None) is None:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", second_fails)
    with pytest.raises(files.DiskFull, match=str(tmp_path / "b")), files.FileGroup() as group:
        group.write(tmp_path / "a", "a2", mode=0o600)
        group.write(tmp_path / "b", "b2", mode=0o600)
        group.commit()
    assert _tree(tmp_path) == {"a": "a1", "b": "b1"}


def test_group_rename_failure_puts_back_those_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").write_text("a1")
    (tmp_path / "b").write_text("b1")
    real_replace = Path.replace

    def replace(self: Path, other: Path) -> Path:
        if Path(other).name == "b":
            raise OSError(errno.EIO, "rename failed")
        return real_replace(self, other)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(OSError, match="rename failed"), files.FileGroup() as group:
        group.write(tmp_path / "a", "a2", mode=0o600)
        group.write(tmp_path / "b", "b2", mode=0o600)
        group.commit()
    assert _tree(tmp_path) == {"a": "a1", "b": "b1"}


def test_group_never_committed_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a1")
    with files.FileGroup() as group:
        group.write(tmp_path / "a", "a2", mode=0o600)
    assert _tree(tmp_path) == {"a": "a1"}


def test_is_temporary_names_what_the_writer_leaves_beside_a_target(tmp_path: Path) -> None:
    name = files._temporary_name(tmp_path / "extensions.conf")
    assert files.is_temporary(name)
    assert not files.is_temporary("extensions.conf")
    assert not files.is_temporary(".hidden.tmp")
