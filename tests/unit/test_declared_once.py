"""Facts declared once: the compatible string and each board's base tier."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from builder import boards, bundle
from builder.errors import BuildError
from orpheus.licensing.tiers import BOARDS

SOURCE_DIR = Path(__file__).resolve().parents[2]


def test_the_compatible_string_comes_from_raucs_system_conf(tmp_path: Path) -> None:
    assert bundle.COMPATIBLE == "orpheus-x86_64"
    assert f"compatible={bundle.COMPATIBLE}" in (SOURCE_DIR / "update/system.conf").read_text()
    other = tmp_path / "system.conf"
    other.write_text("[system]\ncompatible = acme-arm64\nbootloader=grub\n")
    assert bundle.read_compatible(other) == "acme-arm64"
    other.write_text("[system]\nbootloader=grub\n")
    with pytest.raises(BuildError, match="no compatible"):
        bundle.read_compatible(other)


def test_no_other_source_names_the_compatible_string() -> None:
    for path in [*(SOURCE_DIR / "agent").rglob("*.py"), *(SOURCE_DIR / "builder").rglob("*.py")]:
        assert "orpheus-x86_64" not in path.read_text(), path


def test_board_tiers_come_from_the_agents_table() -> None:
    for name in boards.known_boards():
        assert "tier" not in tomllib.loads((boards.BOARD_DIR / name / "board.toml").read_text())
        assert boards.load_board(name).tier == BOARDS[name].base
    with pytest.raises(BuildError, match="no tiers"):
        boards.base_tier("v5")
