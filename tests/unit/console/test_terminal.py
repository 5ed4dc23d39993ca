"""console/terminal.py: bounded lines, end of input, no echo of a password on a terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import termios
import threading
import time

import pytest

from orpheus.console.terminal import EndOfInput, LineTooLong, Terminal, printable


def test_a_line_is_stripped_and_bounded() -> None:
    terminal = Terminal(io.StringIO("  1 \r\n" + "x" * 20 + "\nnext\n"), io.StringIO(), max_line=8)
    assert terminal.ask("> ") == "1"
    with pytest.raises(LineTooLong):
        terminal.ask("> ")
    assert terminal.ask("> ") == "next"  # the long line was read to its end and dropped
    with pytest.raises(EndOfInput):
        terminal.ask("> ")


def test_a_long_line_without_end_is_end_of_input() -> None:
    terminal = Terminal(io.StringIO("y" * 100), io.StringIO(), max_line=8)
    with pytest.raises(EndOfInput):
        terminal.ask("> ")


def test_control_characters_are_not_written() -> None:
    out = io.StringIO()
    Terminal(io.StringIO(), out).say("a\x1b[2J\x9bb\x07\ttab")
    assert out.getvalue() == "a?[2J?b??tab\n"
    assert printable("two\nlines") == "two\nlines"


def _type_when_echo_is_off(controller: int, device: int, text: bytes) -> None:
    deadline = time.monotonic() + 5
    while termios.tcgetattr(device)[3] & termios.ECHO and time.monotonic() < deadline:
        time.sleep(0.005)
    os.write(controller, text)


def _echoed(controller: int) -> bytes:
    echoed = b""
    while select.select([controller], [], [], 0.2)[0]:
        echoed += os.read(controller, 1024)
    return echoed


def test_a_password_is_read_without_echo_on_a_terminal() -> None:
    controller, device = pty.openpty()
    try:
        with os.fdopen(device, "r", closefd=False) as stdin:
            typing = threading.Thread(
                target=_type_when_echo_is_off, args=(controller, device, b"secret-word\n")
            )
            typing.start()
            out = io.StringIO()
            assert Terminal(stdin, out).ask("Password: ", secret=True) == "secret-word"
            typing.join()
            assert b"secret-word" not in _echoed(controller)
            assert termios.tcgetattr(device)[3] & termios.ECHO  # put back
            assert out.getvalue() == "Password: \n"
            os.write(controller, b"shown\n")  # an ordinary answer is echoed
            assert Terminal(stdin, out).ask("> ") == "shown"
            assert b"shown" in _echoed(controller)
    finally:
        os.close(controller)
        os.close(device)
