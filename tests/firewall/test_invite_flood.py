"""A flood of INVITEs to unknown extensions (a toll-fraud scan) against the real agent,
Asterisk and nftables: 200 INVITEs at 50/s from the other network, without credentials,
each to a number that is no extension.

Asterisk 22 with the agent's PJSIP configuration challenges each of them (401: no endpoint
matches the scanner, so the artificial endpoint answers) and emits an `InvalidAccountID`
security event, which the agent counts as a failed authentication: after the 5th the
scanner's address is in the block set and the rest of the flood is dropped before Asterisk.
Meanwhile a phone on the admin's network keeps registering and calling, and the agent's API
keeps answering."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest

from testbed.pbx_unit import add_extension, register_phone
from testbed.polling import wait_for
from tests.firewall.conftest import FIREWALL, Lab

pytestmark = pytest.mark.rootfs
FAILURES = 5  # the default policy: 5 in 60 s
INVITES, RATE = 200, 50
CALLER, CALLEE = "201", "202"  # the good phone (admin's network) and who it calls
FLOOD_SECONDS = 15  # sipp's own bound: 4 s of sending, then unanswered retransmissions


def _blocking(lab: Lab) -> dict[str, Any]:
    status, state = lab.console("GET", FIREWALL)
    assert status == 200, state
    return state["blocking"]  # type: ignore[no-any-return]


def _blocked(lab: Lab) -> list[str]:
    status, answer = lab.console("GET", f"{FIREWALL}/blocked")
    assert status == 200, answer
    return [entry["address"] for entry in answer["blocked"]]


def _nft_block_set(lab: Lab) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", lab.unit.agent.netns, "nft", "list", "set", "inet", "orpheus",
         "blocked_v4"], capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip


def _start_flood(lab: Lab) -> subprocess.Popen[bytes]:
    command = lab.other.sipp(lab.unit.agent.workdir, "invite-flood", "invite_scan.xml", [
        "-p", "5090", "-s", "900", "-m", str(INVITES), "-r", str(RATE), "-l", str(INVITES),
        "-timeout", f"{FLOOD_SECONDS}s", "-max_retrans", "2"])  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _agent_answers(lab: Lab) -> float:
    """Seconds the agent took to answer its status; fails when it does not answer."""
    started = time.monotonic()
    status, answer = lab.console("GET", "/api/v1/status")
    assert status == 200, answer
    return time.monotonic() - started


def test_an_invite_flood_to_unknown_extensions_is_blocked(fresh: Lab) -> None:
    lab, workdir = fresh, fresh.unit.agent.workdir
    for number in (CALLER, CALLEE):
        add_extension(lab.unit, number)
    callee = register_phone(lab.unit, CALLEE, 5074, 31200)
    try:
        wait_for("the security events", lambda: _blocking(lab)["reading_events"], timeout=60)
        assert lab.admin.register(workdir, "good-before", CALLER)
        assert lab.admin.call(workdir, "good-call-before", CALLER, CALLEE)
        seen = _blocking(lab)["failures_seen"]
        flood = _start_flood(lab)
        try:
            wait_for("the scanner's block", lambda: _blocked(lab), timeout=10, interval=0.1)
            # during the flood (still sending: 4 s of it): the good phone and the API
            assert flood.poll() is None
            assert lab.admin.register(workdir, "good-during", CALLER)
            assert lab.admin.call(workdir, "good-call-during", CALLER, CALLEE)
            assert _agent_answers(lab) < 5.0
        finally:
            flood.wait(FLOOD_SECONDS + 30)
        assert _blocked(lab) == [lab.other.address]
        assert lab.other.address in _nft_block_set(lab)
        counted = _blocking(lab)["failures_seen"] - seen
        # each INVITE that reached Asterisk was counted; most of the flood never reached it
        assert FAILURES <= counted < INVITES // 2, counted
        assert lab.admin.register(workdir, "good-after", CALLER)
        assert lab.admin.call(workdir, "good-call-after", CALLER, CALLEE)
        assert _blocking(lab)["failures_seen"] - seen == counted  # the good phone: none
        assert "blocked 10.77.2.2" in lab.unit.agent.log.read_text()
    finally:
        callee.stop()
