"""Each board's declared hardware (board/<name>/board.toml, [hardware]) and the check of a
unit against it: RAM, disk size, CPU and NIC counts, each a [least, most] range.

Parsed strictly: a missing, unknown or malformed key is an error naming the file, so a typo
in a board file cannot wave units through. A board without [hardware] (the VM) is not made
on the factory line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.factory.unit_hardware import UnitHardware

BOARD_DIR = Path("board")  # the station runs from the source tree, like orpheus-license
_SIZE = re.compile(r"(\d+)([KMG])")
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
SIZE_KEYS = ("ram", "disk")
COUNT_KEYS = ("cpus", "nics")


class BoardError(ValueError):
    """A board unknown, not made at the factory, or its file malformed (one line)."""


@dataclass(frozen=True)
class Span:
    least: int
    most: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.least <= value <= self.most


@dataclass(frozen=True)
class DeclaredHardware:
    board: str
    ram: Span
    disk: Span
    cpus: Span
    nics: Span

    def problems(self, unit: UnitHardware) -> list[str]:
        """What in the unit is not as declared, each a short phrase (empty: it matches)."""
        disk = unit.disk.size_bytes if unit.disk else 0
        found: list[str] = []
        if unit.ram_bytes not in self.ram:
            found.append(f"RAM {_gib(unit.ram_bytes)} (declared {_span_gib(self.ram)})")
        if unit.disk is None:
            found.append("no disk holds /data")
        elif disk not in self.disk:
            found.append(f"disk {_gib(disk)} (declared {_span_gib(self.disk)})")
        if unit.cpus not in self.cpus:
            found.append(f"{unit.cpus} CPUs (declared {_span(self.cpus)})")
        if len(unit.nics) not in self.nics:
            found.append(f"{len(unit.nics)} NICs (declared {_span(self.nics)})")
        if not unit.product_uuid:
            found.append("no DMI product UUID (the fingerprint needs it)")
        if unit.disk is not None and not unit.disk.serial:
            found.append("the disk reports no serial (the fingerprint needs it)")
        return found


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.2f} GiB"


def _span_gib(span: Span) -> str:
    return f"{_gib(span.least)} to {_gib(span.most)}"


def _span(span: Span) -> str:
    return str(span.least) if span.least == span.most else f"{span.least} to {span.most}"


def _size(text: object, where: str) -> int:
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise BoardError(f"{where}: bad size {text!r}: use a number with K, M or G")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _count(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BoardError(f"{where}: {value!r} is not a count")
    return value


def _spans(table: dict[str, Any], path: Path) -> dict[str, Span]:
    unknown = set(table) - set(SIZE_KEYS) - set(COUNT_KEYS)
    if unknown:
        raise BoardError(f"{path}: [hardware] has unknown keys: {', '.join(sorted(unknown))}")
    spans = {}
    for key in (*SIZE_KEYS, *COUNT_KEYS):
        where = f"{path}: hardware.{key}"
        pair = table.get(key)
        if not isinstance(pair, list) or len(pair) != 2:
            raise BoardError(f"{where}: needs [least, most]")
        parse = _size if key in SIZE_KEYS else _count
        least, most = parse(pair[0], where), parse(pair[1], where)
        if least > most:
            raise BoardError(f"{where}: least is above most")
        spans[key] = Span(least, most)
    return spans


def load_declared(board: str, board_dir: Path = BOARD_DIR) -> DeclaredHardware:
    path = board_dir / board / "board.toml"
    known = sorted(p.parent.name for p in board_dir.glob("*/board.toml"))
    if not known:
        raise BoardError(f"no boards in {board_dir}/: run from the source tree, or --board-dir")
    if not re.fullmatch(r"[a-z0-9]{1,32}", board) or not path.is_file():
        raise BoardError(f"unknown board {board!r} (known: {', '.join(known)})")
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as error:
        raise BoardError(f"{path}: unreadable: {error}") from error
    table = raw.get("hardware")
    if table is None:
        raise BoardError(f"board {board!r} declares no [hardware]: it is not made on the line")
    if not isinstance(table, dict):
        raise BoardError(f"{path}: [hardware] is not a table")
    spans = _spans(table, path)
    return DeclaredHardware(board, spans["ram"], spans["disk"], spans["cpus"], spans["nics"])
