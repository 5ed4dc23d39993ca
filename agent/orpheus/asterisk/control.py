"""Asterisk's remote console (`asterisk -rx`), the channel that works whatever manager.conf says."""

from __future__ import annotations

import re
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


def parse_version(output: str) -> str:
    """'Asterisk 22.10.1+dfsg-1 built by ...' -> '22.10.1+dfsg-1'."""
    # Asterisk may print warnings first (e.g. about seeding its entity ID): find the line.
    match = re.search(r"^Asterisk\s+(\S+)", output, re.MULTILINE)
    if not match:
        raise AsteriskUnavailable(f"unexpected answer to 'core show version': {output[:80]!r}")
    return match.group(1)


def parse_uptime(output: str) -> int | None:
    """Seconds from 'System uptime: 1234' (the `core show uptime seconds` form)."""
    match = re.search(r"System uptime:\s*(\d+)", output)
    return int(match.group(1)) if match else None


def query_facts(base_command: Sequence[str]) -> AsteriskFacts:
    version = parse_version(run_cli(base_command, "core show version"))
    uptime = parse_uptime(run_cli(base_command, "core show uptime seconds"))
    return AsteriskFacts(version=version, uptime_seconds=uptime)
