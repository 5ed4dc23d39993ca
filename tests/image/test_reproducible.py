"""Two builds of this commit's root filesystem, in two build directories sharing only the
package cache (and base) and the signing keys, give bit-identical slot ext4 images: the
cheaper half of `make check-reproducible` that CI can afford (no second mmdebstrap)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from builder.reproducible import tree_differences

pytestmark = [pytest.mark.rootfs, pytest.mark.host_tools]

SOURCE = Path(__file__).resolve().parents[2]


def test_two_builds_make_the_same_root_filesystem_image() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "builder", "check-reproducible"],
        cwd=SOURCE, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    digests = re.findall(r"^(?:first|second) build: rootfs.ext4 sha256 ([0-9a-f]{64})$",
                         result.stdout, re.MULTILINE)  # fmt: skip
    assert len(digests) == 2, result.stdout + result.stderr
    assert digests[0] == digests[1], result.stdout
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
