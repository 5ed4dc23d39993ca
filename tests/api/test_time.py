"""The time settings against the real agent (issue 18, point 5's wizard): GET/PUT
/api/v1/time on the Unix socket (orpheusctl's channel), the files the image links from /etc
written on the data partition, bad input refused with nothing changed, every change audited;
the wizard's record (GET/POST /api/v1/setup) and orpheusctl time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testbed.pbx_unit import Unit, console_user
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

ZONEINFO = Path("/usr/share/zoneinfo")


def _call(unit: Unit, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return local_request(unit, method, path, None if body is None else json.dumps(body).encode())


def _time_entries(unit: Unit) -> list[dict[str, Any]]:
    status, entries = _call(unit, "GET", "/api/v1/audit")
    assert status == 200
    return [entry for entry in entries if entry["change"] == "time.change"]


def _files_say(unit: Unit, shown: dict[str, Any]) -> None:
    etc = unit.agent.data_dir / "etc"
    assert (etc / "localtime").readlink() == ZONEINFO / shown["timezone"]
    conf = (etc / "systemd/timesyncd.conf.d/orpheus.conf").read_text()
    servers = shown["ntp_servers"]
    assert ("NTP=" + " ".join(servers) in conf) if servers else ("NTP=" not in conf)


def test_the_files_the_image_links_say_the_settings(lite_unit: Unit) -> None:
    """Written at the agent's start (the fuzz test may have changed them since: the files
    follow); UTC and no NTP server while nobody changed them."""
    status, shown = _call(lite_unit, "GET", "/api/v1/time")
    assert status == 200, shown
    assert shown["now"].endswith("Z") and isinstance(shown["synchronized"], bool)
    _files_say(lite_unit, shown)
    if not _time_entries(lite_unit):
        assert shown["timezone"] == "UTC" and shown["ntp_servers"] == []


def test_settings_are_written_where_the_image_links_and_audited(lite_unit: Unit) -> None:
    before = _call(lite_unit, "GET", "/api/v1/time")[1]
    body = {"timezone": "Europe/Rome", "ntp_servers": ["ntp1.example.org", "192.0.2.123"]}
    status, answer = _call(lite_unit, "PUT", "/api/v1/time", body)
    assert status == 200, answer
    assert answer["applied"] is True  # the test agent's apply command is empty
    status, shown = _call(lite_unit, "GET", "/api/v1/time")
    assert {key: shown[key] for key in body} == body
    _files_say(lite_unit, shown)
    conf = lite_unit.agent.data_dir / "etc/systemd/timesyncd.conf.d/orpheus.conf"
    assert "[Time]\nNTP=ntp1.example.org 192.0.2.123\n" in conf.read_text()
    entry = _time_entries(lite_unit)[-1]
    assert entry["before"] == {k: before[k] for k in ("timezone", "ntp_servers")}
    assert entry["after"] == body and entry["user"] == console_user()


@pytest.mark.parametrize(
    "body",
    [
        {"timezone": "../../../etc/shadow"}, {"timezone": "/etc/passwd"},
        {"timezone": "Europe/../../etc"}, {"timezone": "Mars/Olympus"},
        {"timezone": "zone.tab"}, {"timezone": "right/UTC"}, {"timezone": "Europe/Rome\n"},
        {"ntp_servers": ["ntp.example.org\nFallbackNTP=evil.example"]},
        {"ntp_servers": ["ntp.example.org #x"]}, {"ntp_servers": ["a b"]},
        {"ntp_servers": [f"n{i}.example.org" for i in range(9)]},
        {"ntp_servers": ["224.0.1.1"]}, {"ntp_servers": "ntp.example.org"},
        {"ntp_servers": [1]}, {"timezone": 7}, {"now": "2000-01-01T00:00:00Z"},
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(lite_unit: Unit, body: dict[str, Any]) -> None:
    before = _call(lite_unit, "GET", "/api/v1/time")[1]
    audited = len(_time_entries(lite_unit))
    status, answer = _call(lite_unit, "PUT", "/api/v1/time", body)
    assert status == 400, answer
    assert "\n" not in answer["error"]
    after = _call(lite_unit, "GET", "/api/v1/time")[1]
    assert {k: after[k] for k in ("timezone", "ntp_servers")} == {
        k: before[k] for k in ("timezone", "ntp_servers")
    }
    assert len(_time_entries(lite_unit)) == audited


def test_the_zone_list_is_the_running_systems(lite_unit: Unit) -> None:
    status, listed = _call(lite_unit, "GET", "/api/v1/time/zones")
    assert status == 200
    assert "Europe/Rome" in listed["zones"] and "UTC" in listed["zones"]
    assert not [zone for zone in listed["zones"] if "." in zone or zone.startswith("posix/")]


def test_orpheusctl_time(lite_unit: Unit) -> None:
    changed = lite_unit.agent.ctl("time", "set", "--timezone", "Asia/Tokyo", "--ntp", "")
    assert changed.returncode == 0, changed.stderr
    shown = lite_unit.agent.ctl_json("time", "show", "--json")
    assert isinstance(shown, dict)
    assert shown["timezone"] == "Asia/Tokyo" and shown["ntp_servers"] == []
    refused = lite_unit.agent.ctl("time", "set", "--timezone", "../etc/passwd")
    assert refused.returncode == 1 and "'timezone'" in refused.stderr
    refused = lite_unit.agent.ctl("time", "set", "--timezone", "Mars/Olympus")
    assert refused.returncode == 1 and "no such time zone" in refused.stderr


def test_the_wizard_is_recorded_finished_or_skipped(lite_unit: Unit) -> None:
    """The fuzz test may have recorded it already: skipped, then finished, each kept."""
    assert _call(lite_unit, "POST", "/api/v1/setup", {"outcome": "maybe"})[0] == 400
    for outcome in ("skipped", "finished"):
        status, answer = _call(lite_unit, "POST", "/api/v1/setup", {"outcome": outcome})
        assert status == 200 and answer["completed"] is True and answer["outcome"] == outcome
        assert _call(lite_unit, "GET", "/api/v1/setup")[1]["outcome"] == outcome
    status, entries = _call(lite_unit, "GET", "/api/v1/audit")
    assert [e["after"]["outcome"] for e in entries if e["change"] == "setup.complete"][-2:] == [
        "skipped",
        "finished",
    ]
