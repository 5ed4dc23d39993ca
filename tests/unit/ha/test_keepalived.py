"""keepalived.conf from its renderer alone: preempt_delay with preemption, nopreempt without."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from orpheus.ha import keepalived

from .conftest import SETTINGS

PATHS = keepalived.KeepalivedPaths(Path("/"), Path("/run/orpheus/ha"), Path("/usr/lib/orpheus/ha"))


def _instance(text: str) -> list[str]:
    block = text.split(f"vrrp_instance {keepalived.INSTANCE} {{\n", 1)[1]
    return [line.strip() for line in block.splitlines()]


def test_preempt_renders_the_delay_right_after_the_state() -> None:
    settings = dataclasses.replace(SETTINGS, nopreempt=False)
    text = keepalived.render(settings, PATHS, 80, preempt_delay=3)
    lines = _instance(text)
    assert lines[:2] == ["state BACKUP", "preempt_delay 3"]
    assert "nopreempt" not in lines
    # What the feature used to patch into the rendered text.
    plain = keepalived.render(settings, PATHS, 80)
    assert text == plain.replace("    state BACKUP\n", "    state BACKUP\n    preempt_delay 3\n")


def test_nopreempt_renders_no_delay() -> None:
    settings = dataclasses.replace(SETTINGS, nopreempt=True)
    lines = _instance(keepalived.render(settings, PATHS, 80, preempt_delay=3))
    assert "nopreempt" in lines
    assert not any(line.startswith("preempt_delay") for line in lines)
    assert lines[0] == "state BACKUP"


def test_no_delay_unless_asked() -> None:
    settings = dataclasses.replace(SETTINGS, nopreempt=False)
    assert "preempt_delay" not in keepalived.render(settings, PATHS, 80)
