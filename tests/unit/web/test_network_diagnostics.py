"""The Network security and Diagnostics pages: their rows from the API's answers
(web/views.py), every value escaped, their controls only for a level that may change, and the
dashboard's blocked-address figure."""

from __future__ import annotations

from typing import Any

from orpheus.web import dashboard, views
from orpheus.web.feature import PAGES, render
from orpheus.web.subrequest import Answer

WHO = {"user": "admin", "level": "administrator", "rights": {}, "csrf": "token", "nav": []}
XSS = '"><script>alert(1)</script>'
STATE: dict[str, Any] = {
    "mode": "restricted",
    "services": {
        "admin": {"summary": "web and API", "ports": ["tcp 443"], "allow": ["local", XSS],
                  "networks": ["10.0.0.0/24"]},
        "sip": {"summary": "SIP", "ports": ["udp 5060"], "allow": None, "networks": None},
    },
    "trusted": ["192.0.2.1"],
    "local": ["10.0.0.0/24"],
    "peer": None,
    "pending": {"confirm_within_seconds": 41.5},
    "confirmed": {"allow": {}, "trusted": []},
    "blocking": {"failures": 5, "window_seconds": 60, "block_seconds": 3600, "failures_seen": 7,
                 "blocks_made": 1, "reading_events": True},
    "error": None,
}  # fmt: skip
BLOCKED = {"blocked": [{"address": "198.51.100.7", "expires_in_seconds": 3500},
                       {"address": XSS, "expires_in_seconds": None}]}  # fmt: skip
CAPTURE: dict[str, Any] = {
    "id": "0123456789ab", "filter": {"kind": "port", "value": "5060"}, "duration_seconds": 60,
    "max_size_mb": 10, "started_at": 0, "finished_at": None, "state": "running",
    "message": XSS, "job_id": 3, "size_bytes": 2048,
}  # fmt: skip
DIALOG = {
    "call_id": "a b/c@" + XSS, "method": "REGISTER", "from": XSS, "to": "<sip:205@x>",
    "start": 1.0, "duration": 0.0125, "final_response": "200 OK", "message_count": 4,
}  # fmt: skip


def _ok(body: Any) -> Answer:
    return Answer(200, body, {}, None)


def _network(can_change: bool, state: dict[str, Any] = STATE) -> str:
    return render(
        "network.tpl", title="Network security", can_change=can_change, area="network",
        state=_ok(state), rows=views.firewall_rows(state),
        services=views.firewall_services(state), confirmed=views.confirmed_json(state),
        left=views.seconds_left(state),
        blocked=_ok(BLOCKED), blocked_rows=views.blocked_rows(BLOCKED), **WHO,
    )  # fmt: skip


def _diagnostics(can_change: bool, shown: Answer | None) -> str:
    listed = {"captures": [CAPTURE], "quota_mb": 100, "used_bytes": 2048}
    return render(
        "diagnostics.tpl", title="Diagnostics", can_change=can_change, area="diagnostics",
        listed=_ok(listed), captures=views.capture_rows(listed), quota=listed,
        shown_id=CAPTURE["id"] if shown else "", shown=shown,
        dialogs=views.dialog_rows(shown.body) if shown and shown.ok else [],
        kinds=("sip", "rtp", "host", "port"), defaults=(300, 10), **WHO,
    )  # fmt: skip


def test_the_pages_are_in_the_navigation_with_their_areas() -> None:
    assert ("/network", "Network security", "network") in PAGES
    assert ("/diagnostics", "Diagnostics", "diagnostics") in PAGES


def test_the_firewall_rows_show_the_lists_as_written_and_as_applied() -> None:
    services = {row["name"]: row for row in views.firewall_services(STATE)}
    assert services["admin"]["allow"] == f"local, {XSS}"
    assert services["admin"]["networks"] == "10.0.0.0/24"
    assert services["sip"]["allow"] == "" and services["sip"]["networks"] == "anywhere"
    assert services["sip"]["written"] == "default" and services["admin"]["written"].startswith(
        "local"
    )
    closed: dict[str, Any] = {"services": {"ssh": {"allow": [], "networks": []}}}
    assert views.firewall_services(closed)[0]["written"] == "no one"
    assert views.firewall_services(closed)[0]["networks"] == "nowhere"
    rows = dict(views.firewall_rows(STATE))
    assert rows["Change waiting for confirmation"] == "yes: confirm within 41 s"
    assert (
        rows["Local networks"] == "10.0.0.0/24" and rows["Trusted (never blocked)"] == "192.0.2.1"
    )
    assert dict(views.firewall_rows({**STATE, "pending": None}))[
        "Change waiting for confirmation"] == "no"  # fmt: skip
    assert views.blocked_rows(BLOCKED) == [("198.51.100.7", "3500 s"), (XSS, "no timeout")]


def test_the_network_page_escapes_and_offers_confirm_only_while_a_change_waits() -> None:
    page = _network(True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'id="confirm"' in page and 'data-seconds="41"' in page
    assert 'id="firewall-form"' not in page  # one change at a time: confirm it first
    assert page.count("Remove</button>") == 2
    idle = _network(True, {**STATE, "pending": None})
    assert 'id="firewall-form"' in idle and 'id="confirm"' not in idle
    assert 'name="admin" data-type="list" data-optional value="local, &quot;&gt;&lt;script' in idle
    assert 'name="trusted" data-type="list" data-top value="192.0.2.1"' in idle
    read_only = _network(False, {**STATE, "pending": None})
    assert "<form" not in read_only and "api-action" not in read_only
    assert "198.51.100.7" in read_only


def test_the_capture_rows_and_the_ladder_path_quote_the_call_id() -> None:
    row = views.capture_rows({"captures": [CAPTURE]})[0]
    assert row["filter"] == "port 5060" and row["started"] == "1970-01-01T00:00:00+00:00"
    assert row["size"] == "2048 B of 10 MB"
    dialog = views.dialog_rows({**CAPTURE, "dialogs": [DIALOG]})[0]
    assert dialog["duration"] == "0.013 s" and dialog["final"] == "200 OK"
    assert dialog["ladder"] == (
        "/api/v1/captures/0123456789ab/dialogs/"
        "a%20b%2Fc%40%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E/ladder.svg"
    )


def test_the_diagnostics_page_escapes_and_shows_each_dialogs_ladder() -> None:
    page = _diagnostics(True, _ok({**CAPTURE, "dialogs": [DIALOG], "dialogs_dropped": 0}))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert '<img src="/api/v1/captures/0123456789ab/dialogs/a%20b%2Fc%40' in page
    assert 'href="/api/v1/captures/0123456789ab/pcap"' in page and 'id="report"' in page
    assert 'id="capture-form"' in page and 'data-nest="filter"' in page
    assert 'class="api-action stop"' in page and 'class="api-action delete"' in page
    read_only = _diagnostics(False, None)
    assert "<form" not in read_only and "api-action" not in read_only
    assert 'id="dialogs"' not in read_only and "0123456789ab" in read_only


def test_the_dashboard_counts_the_blocked_addresses_or_says_why_not() -> None:
    assert dashboard.SOURCES["blocked"] == "/api/v1/firewall/blocked"
    assert dashboard._blocked(_ok(BLOCKED)) == {"blocked": "2"}
    refused = Answer(403, {"error": "user 'x' may not read area 'network'"}, {}, None)
    assert dashboard._blocked(refused)["blocked"].startswith("not shown: ")
    assert dashboard._blocked(Answer(404, None, {}, None)) == {"blocked": "no firewall"}
