"""The one place the agent runs programs: argument lists, a timeout on every call, output
captured, and one exception type whose one-line message names the command and the cause.

Long-running children (keepalived) are started with `spawn`, which keeps the same rules for
naming a program that cannot be started.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 30.0
# How much of a command line an error message shows (chroot paths make them long).
_SHOWN_CHARS = 100

Argv = Sequence[str | Path]


class CommandError(RuntimeError):
    """A program failed, timed out or is missing; str() is one line naming it and why.

    returncode is None when the program did not run to its end (missing, timed out)."""

    def __init__(
        self,
        argv: Sequence[str],
        reason: str,
        *,
        returncode: int | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        super().__init__(f"{describe(argv)} {reason}")
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


@dataclass(frozen=True)
class Completed:
    """A program that exited 0, with what it printed."""

    argv: tuple[str, ...]
    stdout: str
    stderr: str


def describe(argv: Sequence[str]) -> str:
    """The command as a message shows it: quoted, cut to a readable length."""
    text = shlex.join(argv)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def last_line(*texts: str) -> str:
    """The last non-blank line of the first text that has one ('' when none has)."""
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return ""


def run(
    argv: Argv,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Completed:
    """Runs argv to its end; returns its output, or raises CommandError if it exits non-zero,
    outlives timeout seconds (it is killed) or cannot be started."""
    args = [str(arg) for arg in argv]
    if not args:
        raise ValueError("run() needs a program to run")
    log.debug("+ %s", shlex.join(args))
    try:
        result = subprocess.run(
            args,
            input=input_text,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise CommandError(
            args,
            f"timed out after {timeout:g} s",
            stdout=_text(error.stdout),
            stderr=_text(error.stderr),
        ) from error
    except OSError as error:
        raise CommandError(args, _start_failure(error)) from error
    if result.returncode != 0:
        detail = last_line(result.stderr, result.stdout) or f"exit code {result.returncode}"
        raise CommandError(
            args,
            f"failed: {detail}",
            returncode=result.returncode,
            stdout=result.stdout,
            stderr=result.stderr,
        )
    return Completed(tuple(args), result.stdout, result.stderr)


class Child:
    """A long-running program started by spawn(); reaped by poll() or wait()."""

    def __init__(self, process: subprocess.Popen[bytes], argv: Sequence[str]) -> None:
        self._process = process
        self.argv = tuple(argv)

    @property
    def pid(self) -> int:
        return self._process.pid

    def poll(self) -> int | None:
        """The exit code once it has ended (and is reaped), else None."""
        return self._process.poll()

    def terminate(self) -> None:
        self._process.terminate()

    def wait(self, timeout: float) -> int:
        """Waits at most timeout seconds; raises CommandError if it is still running."""
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired as error:
            raise CommandError(self.argv, f"still running after {timeout:g} s") from error


def spawn(argv: Argv, *, output: IO[bytes] | None = None, new_session: bool = False) -> Child:
    """Starts argv without waiting for it: stdin from /dev/null, stdout and stderr to output
    (discarded when None); new_session detaches it from the agent's process group."""
    args = [str(arg) for arg in argv]
    if not args:
        raise ValueError("spawn() needs a program to run")
    log.debug("+ %s &", shlex.join(args))
    sink = output if output is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )
    except OSError as error:
        raise CommandError(args, _start_failure(error)) from error
    return Child(process, args)


def _start_failure(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "not found"
    return f"cannot be started: {error.strerror or error}"


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""
