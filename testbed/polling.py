"""Waiting for a condition. The bounds only stop a hung test or benchmark; they never
measure anything."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 30.0
# What a unit on the host may take (Asterisk and the agent starting, a sipp run): generous,
# so that a broken build fails instead of hanging.
UNIT_TIMEOUT_SECONDS = 120.0


def wait_for(
    what: str,
    predicate: Callable[[], object],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    interval: float = 0.05,
) -> Any:
    """Polls predicate until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
