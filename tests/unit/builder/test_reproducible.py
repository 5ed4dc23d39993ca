"""Times fixed by the build's epoch (builder/reproducible.py)."""

from __future__ import annotations

import os
from pathlib import Path

from builder.reproducible import clamp_times

EPOCH = 1_767_225_600  # 2026-01-01
OLD = 1_700_000_000  # a package's file, from 2023
NEW = 1_790_000_000  # made or read after the epoch


def test_only_times_after_the_epoch_move_each_on_its_own(tmp_path: Path) -> None:
    packaged, read, laid = tmp_path / "packaged", tmp_path / "read", tmp_path / "laid"
    for path in (packaged, read, laid):
        path.write_text("")
    os.utime(packaged, (OLD, OLD))
    os.utime(read, (NEW, OLD))  # only read since: its modification time is its package's
    os.utime(laid, (NEW, NEW))
    link = tmp_path / "link"
    link.symlink_to("laid")
    os.utime(link, (NEW, NEW), follow_symlinks=False)
    os.utime(tmp_path, (NEW, NEW))

    assert clamp_times(tmp_path, EPOCH) == 4  # read, laid, link, the directory
    assert (packaged.stat().st_atime, packaged.stat().st_mtime) == (OLD, OLD)
    assert (read.stat().st_atime, read.stat().st_mtime) == (EPOCH, OLD)
    assert (laid.stat().st_atime, laid.stat().st_mtime) == (EPOCH, EPOCH)
    assert link.lstat().st_mtime == EPOCH and tmp_path.stat().st_mtime == EPOCH
