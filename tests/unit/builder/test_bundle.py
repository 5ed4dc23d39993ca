"""Test options of update bundles (builder/bundle.py)."""

from __future__ import annotations

from pathlib import Path

from builder import bundle


def test_break_boot_option_makes_pid_1_exit_at_once(tmp_path: Path) -> None:
    """The never-booting test firmware: /sbin/init resolves to false inside the tree (a
    relative link, so the initramfs and the booted root agree), nothing else changes."""
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "usr/bin/false").write_text("")
    (tmp_path / "usr/sbin/init").symlink_to("../lib/systemd/systemd")
    bundle.apply_test_options(tmp_path, ["break-boot", "no-hash-index"])
    init = tmp_path / "usr/sbin/init"
    assert not init.readlink().is_absolute()
    assert init.resolve() == (tmp_path / "usr/bin/false").resolve()
    assert not (tmp_path / "usr/lib/orpheus/test-break-health").exists()
