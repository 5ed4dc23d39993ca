"""The adapter's answers over a console that is a stand-in (no Asterisk runs in unit tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable

CAPTURED = Path(__file__).parent / "captured"
ANSWERS = {
    "core show version": "version",
    "core show uptime seconds": "uptime",
    "core show channels count": "counts_busy",
}


def console(tmp_path: Path, answers: dict[str, str]) -> list[str]:
    """A shell script standing in for `asterisk -rx`, answering captured outputs."""
    script = tmp_path / "asterisk"
    cases = "".join(
        f'  "{command}") cat "{CAPTURED / name}.txt" ;;\n' for command, name in answers.items()
    )
    script.write_text(
        f'#!/bin/sh\ncase "$1" in\n{cases}  *) echo "No such command"; exit 1 ;;\nesac\n'
    )
    script.chmod(0o755)
    return [str(script)]


def test_facts_and_active_calls(tmp_path: Path) -> None:
    asterisk = Asterisk(console(tmp_path, ANSWERS))
    facts = asterisk.facts()
    assert facts.version.startswith("22.10.1") and facts.uptime_seconds == 4
    assert asterisk.active_calls() == 2


def test_unknown_answer_is_unavailable(tmp_path: Path) -> None:
    asterisk = Asterisk(console(tmp_path, {"core show channels count": "queues"}))
    with pytest.raises(AsteriskUnavailable):
        asterisk.active_calls()


def test_no_manager_login_means_no_group_count(tmp_path: Path) -> None:
    assert Asterisk(console(tmp_path, ANSWERS)).group_count("calls@orpheus") is None
