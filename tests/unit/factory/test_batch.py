"""The batch's serials file, its pairing with ports and its live table (factory/batch.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from orpheus.factory.batch import BatchError, LiveTable, pair_up, read_serials


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_serials_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "serials.txt"
    path.write_text("# line 3, Monday\nORP-MINI-0001\n\n  ORP-MINI-0002  # the spare\n")
    assert read_serials(path) == ["ORP-MINI-0001", "ORP-MINI-0002"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("ORP-1\nbad serial\n", r"serials\.txt:2: bad serial 'bad serial'"),
     ("ORP-1\nORP-1\n", r"serials\.txt:2: serial ORP-1 is listed twice"),
     ("\xff\n", "cannot read")],
)  # fmt: skip
def test_a_bad_serials_file_is_refused_with_its_line(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "serials.txt"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(BatchError, match=reason):
        read_serials(path)


def test_ports_and_serials_pair_one_to_one() -> None:
    assert pair_up(["a", "b"], ["S1", "S2"]) == [("a", "S1"), ("b", "S2")]
    with pytest.raises(BatchError, match="2 ports but 1 serials"):
        pair_up(["a", "b"], ["S1"])
    with pytest.raises(BatchError, match="a port is listed twice"):
        pair_up(["a", "a"], ["S1", "S2"])


def test_on_a_log_each_step_change_is_one_line_and_running_is_not_shown() -> None:
    out = io.StringIO()
    table = LiveTable([("/dev/ttyUSB0", "S1"), ("/dev/ttyUSB1", "S2")], out)
    table.reporter(1)("keygen", "running", "")
    table.reporter(1)("keygen", "ok", "made on the unit")
    table.draw()  # nothing drawn on a log
    assert out.getvalue() == "/dev/ttyUSB1 S2: keygen ok made on the unit\n"


def test_on_a_terminal_the_table_is_redrawn_in_place() -> None:
    out = Terminal()
    table = LiveTable([("/dev/ttyUSB0", "S1"), ("/dev/ttyUSB1", "S2")], out)
    table.draw()
    table.reporter(0)("self-test", "running", "")
    table.draw()
    first, second = out.getvalue().split("\x1b[2F")  # up two lines, over the first drawing
    assert first.count("\x1b[2K") == 2 and "waiting" in first
    assert "/dev/ttyUSB0  S1               self-test  running" in second
    assert second.count("\n") == 2
