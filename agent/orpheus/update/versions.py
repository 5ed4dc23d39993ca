"""Firmware version order: 1.2.10 > 1.2.9 > 1.2.9-rc.1; build metadata (+g1234) is ignored."""

from __future__ import annotations

import re

_NUMBERS = re.compile(r"^(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$")


def version_key(version: str) -> tuple[tuple[int, ...], int, tuple[tuple[int, object], ...]]:
    """Sort key; raises ValueError for a version that is not dotted numbers."""
    match = _NUMBERS.match(version.strip())
    if not match:
        raise ValueError(f"not a firmware version: {version!r}")
    numbers = tuple(int(part) for part in match.group(1).split("."))
    numbers += (0,) * (3 - len(numbers))
    pre = match.group(2)
    if pre is None:
        return numbers, 1, ()
    parts = tuple((0, int(part)) if part.isdigit() else (1, part) for part in pre.split("."))
    return numbers, 0, parts


def older(a: str, b: str) -> bool:
    """True when version a comes before version b."""
    return version_key(a) < version_key(b)
