"""Lines in and out of the console, every input treated as hostile.

A line is bounded (a longer one is drained and refused, never kept whole), end of input
(Ctrl-D, a serial line hung up) ends the menu, a password is read without echo on a real
terminal, and nothing the agent answers reaches the screen with a control character in it
(an escape sequence in a refused value would otherwise redraw the installer's screen).
"""

from __future__ import annotations

import contextlib
import signal
import termios
from collections.abc import Iterator
from typing import TextIO

MAX_LINE = 256


class EndOfInput(Exception):
    """Ctrl-D, the line hung up, or idle too long: the menu ends (agetty starts it again)."""


class LineTooLong(ValueError):
    """A line over the bound; it was read to its end and dropped."""


class Terminal:
    def __init__(
        self,
        stdin: TextIO,
        stdout: TextIO,
        *,
        max_line: int = MAX_LINE,
        idle_seconds: int | None = None,
    ) -> None:
        """idle_seconds: a prompt left unanswered that long ends the menu (SIGALRM; the
        caller's handler raises EndOfInput). None in tests."""
        self._in = stdin
        self._out = stdout
        self.max_line = max_line
        self._idle = idle_seconds

    def say(self, text: str = "") -> None:
        self._out.write(printable(text) + "\n")
        self._out.flush()

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        """The line typed, without its end of line and surrounding blanks."""
        self._out.write(prompt)
        self._out.flush()
        with self._no_echo() if secret else contextlib.nullcontext(), self._idle_alarm():
            line = self._in.readline(self.max_line + 1)
        if secret and self._is_terminal():
            self._out.write("\n")  # the Enter typed was not echoed either
        if line == "":
            raise EndOfInput("end of input")
        if len(line) > self.max_line and not line.endswith("\n"):
            self._drain()
            raise LineTooLong(f"line too long: at most {self.max_line} characters")
        return line.rstrip("\r\n").strip()

    def _drain(self) -> None:
        """Reads the rest of an over-long line in bounded pieces (a flood costs no memory)."""
        while True:
            with self._idle_alarm():
                piece = self._in.readline(self.max_line)
            if piece == "":
                raise EndOfInput("end of input")
            if piece.endswith("\n"):
                return

    def _is_terminal(self) -> bool:
        try:
            return self._in.isatty()
        except ValueError:  # closed
            return False

    @contextlib.contextmanager
    def _no_echo(self) -> Iterator[None]:
        if not self._is_terminal():
            yield
            return
        descriptor = self._in.fileno()
        before = termios.tcgetattr(descriptor)
        quiet = list(before)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(descriptor, termios.TCSAFLUSH, quiet)
        try:
            yield
        finally:
            termios.tcsetattr(descriptor, termios.TCSAFLUSH, before)

    @contextlib.contextmanager
    def _idle_alarm(self) -> Iterator[None]:
        if self._idle is None:
            yield
            return
        signal.alarm(self._idle)
        try:
            yield
        finally:
            signal.alarm(0)


def printable(text: str) -> str:
    """text with every character a terminal could take for a control shown as '?'."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in text)
