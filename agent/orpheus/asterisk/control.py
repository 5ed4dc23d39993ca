"""Asterisk's remote console (`asterisk -rx`), the channel that works whatever manager.conf says."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

COMMAND_TIMEOUT_SECONDS = 10.0


class AsteriskUnavailable(RuntimeError):
    """Asterisk did not answer on its control socket."""


@dataclass(frozen=True)
class AsteriskFacts:
    version: str
    uptime_seconds: int | None


def run_cli(base_command: Sequence[str], command: str) -> str:
    """Runs one CLI command against the running Asterisk and returns its output."""
    try:
        result = subprocess.run(
            [*base_command, command],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AsteriskUnavailable(f"asterisk -rx failed: {error}") from error
    output = result.stdout.strip()
    if result.returncode != 0 or "Unable to connect to remote asterisk" in output:
        detail = (output or result.stderr.strip()).splitlines()
        raise AsteriskUnavailable(detail[0] if detail else f"exit code {result.returncode}")
    return output
