"""The EFI system partition's GRUB environment block (builder/esp.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from builder import esp


def test_grubenv_block_is_rauc_layout() -> None:
    block = esp.grubenv_block(esp.INITIAL_BOOT_STATE)
    assert len(block) == 1024 and block.startswith(b"# GRUB Environment Block\n")
    text = block.decode().rstrip("#")
    for line in ("ORDER=A B", "A_OK=1", "B_OK=1", "A_TRY=0", "B_TRY=0"):
        assert f"\n{line}\n" in text


@pytest.mark.host_tools  # grub-editenv
def test_grubenv_block_matches_grub_editenv(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.write_bytes(esp.grubenv_block({"ORDER": "A B", "A_OK": "1"}))
    listed = subprocess.run(
        ["grub-editenv", str(ours), "list"], capture_output=True, text=True, check=True
    ).stdout
    assert listed.splitlines() == ["ORDER=A B", "A_OK=1"]
