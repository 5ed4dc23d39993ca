"""The image builder's own logic and its bad-input errors, without building anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from builder import bundle, esp, hosttools
from builder.boards import known_boards, load_board, size_bytes
from builder.context import build_epoch
from builder.errors import BuildError
from builder.rootfs import load_config, pin_preferences
from testbed.paths import SOURCE_DIR


def run_builder(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=SOURCE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and lines[-1].startswith("orpheus-build: error: ")
    assert needle in lines[-1], lines[-1]
    assert "Traceback" not in result.stderr


def test_every_board_is_declared_with_valid_sizes() -> None:
    assert known_boards() == ["lite", "mini", "v4r", "v4rplus", "vm"]
    for name in known_boards():
        board = load_board(name)
        assert size_bytes(board.esp_size) >= 128 * 1024**2
        assert board.tier == name
    assert load_board("vm").virtual_disk


def test_unknown_board_is_one_clear_line(tmp_path: Path) -> None:
    result = run_builder("image", "--board", "v5", "--build-dir", str(tmp_path))
    assert_one_line_error(result, "unknown BOARD 'v5' (known boards: lite, mini, v4r")
    assert not list(tmp_path.rglob("*.img"))


def test_make_rejects_an_unknown_board() -> None:
    result = subprocess.run(
        ["make", "-s", "image", "BOARD=nope"], cwd=SOURCE_DIR, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "unknown BOARD 'nope'" in result.stderr


def test_missing_tool_that_cannot_be_installed() -> None:
    with pytest.raises(BuildError, match=r"missing host tool\(s\) orpheus-no-such-tool"):
        hosttools.ensure({"orpheus-no-such-tool": "orpheus-no-such-package"})


def test_no_network_to_the_mirror(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    result = run_builder(
        "rootfs", "--mirror", "http://127.0.0.1:9/debian", "--build-dir", str(tmp_path)
    )
    assert_one_line_error(result, "no network to the package mirror http://127.0.0.1:9/debian")
    assert not (tmp_path / "rootfs").exists()


def test_full_disk_stops_before_writing(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(small)], check=True)
    try:
        result = run_builder("image", "--board", "mini", "--build-dir", str(small))
        assert_one_line_error(result, "not enough free space under")
        # Nothing cached there: the base is counted in, named with the other parts.
        assert "(base + rootfs + image)" in result.stderr
        assert not list(small.rglob("*.img*"))
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_grubenv_block_is_rauc_layout() -> None:
    block = esp.grubenv_block(esp.INITIAL_BOOT_STATE)
    assert len(block) == 1024 and block.startswith(b"# GRUB Environment Block\n")
    text = block.decode().rstrip("#")
    for line in ("ORDER=A B", "A_OK=1", "B_OK=1", "A_TRY=0", "B_TRY=0"):
        assert f"\n{line}\n" in text


def test_grubenv_block_matches_grub_editenv(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.write_bytes(esp.grubenv_block({"ORDER": "A B", "A_OK": "1"}))
    listed = subprocess.run(
        ["grub-editenv", str(ours), "list"], capture_output=True, text=True, check=True
    ).stdout
    assert listed.splitlines() == ["ORDER=A B", "A_OK=1"]


def test_pin_preferences_pin_only_the_listed_packages() -> None:
    prefs = pin_preferences(load_config())
    assert "Package: *\nPin: release n=sid\nPin-Priority: 100" in prefs
    assert "Package: asterisk " in prefs


def test_source_date_epoch_sets_the_build_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_epoch() == 1700000000


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
