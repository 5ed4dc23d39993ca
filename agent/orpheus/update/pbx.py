"""Calls in progress, asked of Asterisk (`core show channels count`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from orpheus.asterisk.control import run_cli

_ACTIVE = re.compile(r"(\d+)\s+active call")


def parse_active_calls(output: str) -> int:
    match = _ACTIVE.search(output)
    if not match:
        raise ValueError(f"unexpected answer to 'core show channels count': {output[:80]!r}")
    return int(match.group(1))


def active_calls(base_command: Sequence[str]) -> int:
    """Raises AsteriskUnavailable when Asterisk does not answer (then no call is up)."""
    return parse_active_calls(run_cli(base_command, "core show channels count"))
