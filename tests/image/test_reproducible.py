"""`make check-reproducible`: this commit's image and bundle, built, then rebuilt in another
build directory from the first's manifest alone (its own base, made again by mmdebstrap
offline from the package cache, every package's checksum checked), sharing only the package
cache and the signing keys, give a bit-identical disk image and bundle payload."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from builder.reproducible import tree_differences

pytestmark = [pytest.mark.rootfs, pytest.mark.host_tools]

SOURCE = Path(__file__).resolve().parents[2]


def test_a_rebuild_from_the_manifest_makes_the_same_image_and_payload() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "builder", "check-reproducible"],
        cwd=SOURCE, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    for what in (r"rootfs\.ext4", r"orpheus-\S+\.img", "bundle payload"):
        digests = re.findall(rf"^(?:first|second) build: {what} sha256 ([0-9a-f]{{64}})$",
                             result.stdout, re.MULTILINE)  # fmt: skip
        assert len(digests) == 2, result.stdout + result.stderr
        assert digests[0] == digests[1], result.stdout
    assert "rebuild: a local repository of the release's" in result.stderr, result.stderr
    assert result.returncode == 0


def test_a_difference_names_the_file_and_what_differs(tmp_path: Path) -> None:
    """The check's report when builds differ (the case the test above must never see)."""
    first, second = tmp_path / "first", tmp_path / "second"
    for root in (first, second):
        (root / "etc").mkdir(parents=True)
        (root / "etc/hostname").write_text("orpheus\n")
    (second / "etc/hostname").write_text("build-host-7\n")
    (second / "etc/stray").write_text("")
    assert tree_differences(first, second) == [
        "etc/hostname: content",
        f"etc/stray: only in {second}",
    ]
