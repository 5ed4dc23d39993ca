"""What firmware runs: the release the image builder wrote, the booted slot and the board."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Release:
    """/usr/lib/orpheus/release.json, written by the image builder (builder/rootfs.py)."""

    version: str
    build_date: str
    commit: str
    compatible: str  # RAUC's compatible string: the bundles this firmware accepts
    min_version: str  # the oldest firmware it may be installed over, or replaced by


@dataclass(frozen=True)
class BootInfo:
    slot: str | None  # "A" or "B", from rauc.slot= set by GRUB
    board: str | None  # from orpheus.board= set by the board's GRUB configuration


def read_release(path: Path) -> Release:
    """The one reader of release.json; a missing or broken file reads as "unknown"."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    return Release(
        version=str(raw.get("version", "unknown")),
        build_date=str(raw.get("build_date", "unknown")),
        commit=str(raw.get("commit", "unknown")),
        compatible=str(raw.get("compatible", "unknown")),
        min_version=str(raw.get("min_version", "0.0.0")),
    )


def parse_cmdline(text: str) -> dict[str, str]:
    """Kernel command line as key/value pairs; bare flags map to an empty string."""
    args: dict[str, str] = {}
    for word in text.split():
        key, _, value = word.partition("=")
        args[key] = value
    return args


def read_boot_info(cmdline_file: Path) -> BootInfo:
    try:
        args = parse_cmdline(cmdline_file.read_text())
    except OSError:
        args = {}
    return BootInfo(slot=args.get("rauc.slot") or None, board=args.get("orpheus.board") or None)
