"""Asterisk's remote console (`asterisk -rx`), the channel that works whatever manager.conf says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orpheus import runner

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
        result = runner.run([*base_command, command], timeout=COMMAND_TIMEOUT_SECONDS)
    except runner.CommandError as error:
        if error.returncode is None:  # not found, or no answer in time
            raise AsteriskUnavailable(f"asterisk -rx failed: {error}") from error
        detail = (error.stdout.strip() or error.stderr.strip()).splitlines()
        raise AsteriskUnavailable(
            detail[0] if detail else f"exit code {error.returncode}"
        ) from error
    output = result.stdout.strip()
    if "Unable to connect to remote asterisk" in output:
        raise AsteriskUnavailable(output.splitlines()[0])
    return output
