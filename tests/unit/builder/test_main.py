"""The builder's command line (builder/__main__.py, make) and its bad-input errors, without
building anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_unknown_board_is_one_clear_line(tmp_path: Path) -> None:
    result = run_builder("image", "--board", "v5", "--build-dir", str(tmp_path))
    assert_one_line_error(result, "unknown BOARD 'v5' (known boards: lite, mini, v4r")
    assert not list(tmp_path.rglob("*.img"))


@pytest.mark.host_tools  # make
def test_make_rejects_an_unknown_board() -> None:
    result = subprocess.run(
        ["make", "-s", "image", "BOARD=nope"], cwd=SOURCE_DIR, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "unknown BOARD 'nope'" in result.stderr


@pytest.mark.host_tools  # the build's tools (mmdebstrap, mke2fs, ...) are checked first
def test_no_network_to_the_mirror(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    result = run_builder(
        "rootfs", "--mirror", "http://127.0.0.1:9/debian", "--build-dir", str(tmp_path)
    )
    assert_one_line_error(result, "no network to the package mirror http://127.0.0.1:9/debian")
    assert not (tmp_path / "rootfs").exists()


@pytest.mark.host_tools  # mount and umount a tmpfs (root)
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
