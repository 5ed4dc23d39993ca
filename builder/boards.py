"""Boards, declared once as data in board/<name>/board.toml.

Which tier a board starts at is the agent's fact (agent/orpheus/licensing/tiers.py, beside the
tiers a licence may lift it to): the builder reads it there for the manifest.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuildError

SOURCE_DIR = Path(__file__).resolve().parent.parent
BOARD_DIR = SOURCE_DIR / "board"
if str(SOURCE_DIR / "agent") not in sys.path:  # `python3 -m builder` outside make
    sys.path.append(str(SOURCE_DIR / "agent"))

from orpheus.licensing.tiers import BOARDS as BOARD_TIERS  # noqa: E402

_SIZE = re.compile(r"^(\d+)([KMG])$")
_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3}


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    tier: str
    cmdline: str
    esp_size: str
    slot_size: str
    data_size: str
    virtual_disk: str | None  # only boards shipped as hypervisor images


def known_boards(board_dir: Path = BOARD_DIR) -> list[str]:
    return sorted(p.parent.name for p in board_dir.glob("*/board.toml"))


def size_bytes(text: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise BuildError(f"bad size {text!r}: use a number with K, M or G")
    return int(match.group(1)) * _UNITS[match.group(2)]


def base_tier(name: str) -> str:
    tiers = BOARD_TIERS.get(name)
    if tiers is None:
        raise BuildError(f"board {name!r} has no tiers in agent/orpheus/licensing/tiers.py")
    return tiers.base


def load_board(name: str, board_dir: Path = BOARD_DIR) -> Board:
    path = board_dir / name / "board.toml"
    if not name or not path.is_file():
        known = ", ".join(known_boards(board_dir))
        raise BuildError(f"unknown BOARD '{name}' (known boards: {known})")
    raw = tomllib.loads(path.read_text())
    sizes = raw["sizes"]
    board = Board(
        name=name,
        description=raw["description"],
        tier=base_tier(name),
        cmdline=raw.get("cmdline", ""),
        esp_size=sizes["esp"],
        slot_size=sizes["slot"],
        data_size=sizes["data"],
        virtual_disk=sizes.get("virtual_disk"),
    )
    for size in (board.esp_size, board.slot_size, board.data_size, board.virtual_disk):
        if size is not None:
            size_bytes(size)
    return board
