"""Asterisk's files from the PBX configuration (orpheus.pbx.render)."""

from __future__ import annotations

from orpheus.licensing.tiers import TIERS
from orpheus.pbx.render import CallLimit, render_dialplan


def test_dialplan_enforces_the_limit_in_asterisk() -> None:
    empty = {"extension": {}, "trunk": {}, "queue": {}, "ivr": {}, "balancer": {},
             "recording": {"recording": {"enabled": False}}}  # fmt: skip
    text = render_dialplan(empty, CallLimit(TIERS["mini"].concurrent_calls, False), 7)
    assert "ORPHEUS_MAX_CALLS=10" in text and "Hangup(34)" in text
    assert "ORPHEUS_CONFIG_SERIAL=7" in text
    internal = text[text.index("[orpheus-internal]") :]
    assert "Gosub(orpheus-limit,s,1)" in internal
    vm = render_dialplan(empty, CallLimit(5, True), 8)
    assert "Gosub(orpheus-limit,s,1)" not in vm[vm.index("[orpheus-internal]") :]
