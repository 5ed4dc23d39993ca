"""The dashboard's figures from the API's answers, and what it shows for a refused one."""

from __future__ import annotations

from typing import Any

from orpheus.web import dashboard
from orpheus.web.subrequest import Answer


def _answer(status: int, body: Any) -> Answer:
    return Answer(status, body, {}, None)


STATUS = {
    "version": "1.2", "board": "mini", "booted_slot": "A", "uptime_seconds": 90061.5,
    "load": [0.5, 0.25, 0.125], "memory": {"total_bytes": 2048 * 2**20,
                                           "available_bytes": 1024 * 2**20},
    "storage": {"data": {"total_bytes": 2**30, "free_bytes": 2**29}},
    "asterisk": {"running": True, "version": "22"}, "alarms": ["one <b>"], "weak_passwords": 2,
    "registered": {"phones": 3, "trunks": 1, "trunks_configured": 2},
}  # fmt: skip


def test_the_figures_come_from_the_answers() -> None:
    shown = dashboard.figures({
        "status": _answer(200, STATUS),
        "licence": _answer(200, {"tier_title": "Mini", "limits": {"concurrent_calls": 10,
                                 "extensions": 12, "trunks": None},
                                 "usage": {"extensions": 3, "trunks": 1}}),
        "calls": _answer(200, {"calls": [{}, {}]}),
        "ha": _answer(200, {"role": "master", "peer": "192.0.2.2", "peer_reachable": True}),
        "update": _answer(404, {"error": "Not found"}),
        "storage": _answer(403, {"error": "user 'x' may not read area 'storage'"}),
    })  # fmt: skip
    assert shown["uptime"] == "1 d 01:01:01" and shown["load"] == "0.50 0.25 0.12"
    assert shown["memory"] == "1.0 GiB used of 2.0 GiB"
    assert shown["calls"] == "2 of 10" and shown["extensions"] == "3 of 12"
    assert shown["trunks"] == "1 of unlimited" and shown["weak_passwords"] == "2"
    assert shown["ha_peer"] == "192.0.2.2 (reachable)" and shown["alarms"] == ["one <b>"]
    assert shown["slots"] == "booted A; firmware updates not available"
    assert shown["registered"] == "3 phones; 1 of 2 trunks"
    assert shown["storage"] == "data: 512.0 MiB free of 1.0 GiB"  # the status's own


def test_a_refused_answer_says_why() -> None:
    refused = _answer(403, {"error": "user 'x' may not read area 'licence'"})
    shown = dashboard.figures({"status": _answer(200, STATUS), "licence": refused,
                               "calls": refused, "ha": refused, "update": refused,
                               "storage": refused})  # fmt: skip
    assert shown["tier"] == "not shown: user 'x' may not read area 'licence'"
    assert shown["calls"].startswith("not shown") and shown["ha_role"].startswith("not shown")
