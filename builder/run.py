"""The one place the builder runs commands: argument lists, logs to a file, one-line errors."""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from builder.errors import BuildError

log = logging.getLogger("builder")

# Lines that explain a failure better than the last line of a long log.
_CAUSES = (
    ("No space left on device", "disk full"),
    ("Could not resolve", "no network to the package mirror"),
    ("Temporary failure resolving", "no network to the package mirror"),
    ("Failed to fetch", "no network to the package mirror"),
    ("Unable to locate package", "a package is missing from the mirror"),
)


def run(
    argv: Sequence[str | Path],
    *,
    log_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Runs argv; returns its output. On failure raises BuildError naming the cause."""
    args = [str(a) for a in argv]
    log.debug("+ %s", shlex.join(args))
    result = subprocess.run(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=dict(env) if env is not None else None,
        cwd=cwd,
        check=False,
    )
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text(f"$ {shlex.join(args)}\n{result.stdout}")
    if result.returncode != 0:
        raise BuildError(explain(args, result.returncode, result.stdout, log_file))
    return result.stdout


def explain(args: list[str], code: int, output: str, log_file: Path | None) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    cause = next((name for needle, name in _CAUSES if needle in output), None)
    errors = [line for line in lines if line.startswith(("E:", "ERROR", "Error", "error"))]
    detail = (errors or lines or [f"exit code {code}"])[-1]
    where = f" (full log: {log_file})" if log_file else ""
    prefix = f"{cause}: " if cause else ""
    return f"{prefix}{Path(args[0]).name} failed: {detail}{where}"
