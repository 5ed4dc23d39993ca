"""clock/feature.py and firstrun/feature.py on the real bottle application."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.clock.feature import TimeFeature
from orpheus.clock.settings import TimeStore
from orpheus.firstrun.feature import SetupFeature
from tests.unit.api.wsgi_client import Answer, call

ZONEINFO = Path("/usr/share/zoneinfo")


def _unit(tmp_path: Path, apply: list[str]) -> tuple[Api, AuditLog, TimeStore]:
    api = Api(PasswordStore(tmp_path))
    audit = AuditLog(tmp_path / "audit.sqlite")
    store = TimeStore(tmp_path / "time.json", tmp_path / "etc", ZONEINFO)
    TimeFeature(store, apply, tmp_path / "synchronized", audit).install_routes(api)
    SetupFeature(tmp_path / "setup.json", audit).install_routes(api)
    return api, audit, store


def _local(api: Api, method: str, path: str, body: Any = None) -> Answer:
    raw = None if body is None else json.dumps(body).encode()
    return call(api.app, method, path, raw, auth=None, environ={LOCAL_ENVIRON_KEY: True})


def test_settings_are_saved_applied_and_audited(tmp_path: Path) -> None:
    marker = tmp_path / "applied"
    api, audit, store = _unit(tmp_path, ["touch", str(marker)])
    body = {"timezone": "Europe/Rome", "ntp_servers": ["ntp.example.org", "192.0.2.5"]}
    answer = _local(api, "PUT", "/api/v1/time", body)
    assert answer.status == 200, answer.body
    assert answer.json()["applied"] is True and marker.exists()
    assert store.localtime.readlink() == ZONEINFO / "Europe/Rome"
    assert "NTP=ntp.example.org 192.0.2.5" in store.timesyncd_file.read_text()
    [entry] = audit.read()
    assert entry["change"] == "time.change"
    assert entry["before"] == {"timezone": "UTC", "ntp_servers": []}
    assert entry["after"] == body
    shown = _local(api, "GET", "/api/v1/time").json()
    assert shown["timezone"] == "Europe/Rome" and shown["ntp_servers"] == body["ntp_servers"]
    assert shown["now"].endswith("Z") and shown["synchronized"] is False
    (tmp_path / "synchronized").touch()
    assert _local(api, "GET", "/api/v1/time").json()["synchronized"] is True


def test_a_field_left_out_keeps_its_value(tmp_path: Path) -> None:
    api, _, _ = _unit(tmp_path, [])
    _local(api, "PUT", "/api/v1/time", {"ntp_servers": ["a.example"]})
    answer = _local(api, "PUT", "/api/v1/time", {"timezone": "Asia/Tokyo"})
    assert answer.json()["ntp_servers"] == ["a.example"]
    assert answer.json()["timezone"] == "Asia/Tokyo"


def test_refused_values_change_nothing(tmp_path: Path) -> None:
    api, audit, store = _unit(tmp_path, [])
    for body in ({"timezone": "../../etc/passwd"}, {"timezone": "/etc/localtime"},
                 {"timezone": "Mars/Olympus"}, {"timezone": "zone.tab"},
                 {"ntp_servers": ["a.example\nNTP=evil"]}, {"ntp_servers": ["a b"]},
                 {"ntp_servers": ["a#b"]}, {"ntp_servers": [f"n{i}.example" for i in range(9)]},
                 {"ntp_servers": "a.example"}, {"timezone": "UTC", "extra": 1}):  # fmt: skip
        answer = _local(api, "PUT", "/api/v1/time", body)
        assert answer.status == 400, (body, answer.body)
    assert audit.read() == [] and not store.timesyncd_file.exists()


def test_saved_when_timesyncd_cannot_restart(tmp_path: Path) -> None:
    api, audit, store = _unit(tmp_path, ["false"])
    answer = _local(api, "PUT", "/api/v1/time", {"timezone": "UTC"})
    assert answer.status == 200
    assert answer.json()["applied"] is False and "false" in answer.json()["apply_error"]
    assert store.state_file.exists() and len(audit.read()) == 1


def test_the_zone_list(tmp_path: Path) -> None:
    api, _, _ = _unit(tmp_path, [])
    listed = _local(api, "GET", "/api/v1/time/zones").json()["zones"]
    assert "Europe/Rome" in listed and "zone.tab" not in listed


def test_the_wizard_is_recorded_once_finished_or_skipped(tmp_path: Path) -> None:
    api, audit, _ = _unit(tmp_path, [])
    assert _local(api, "GET", "/api/v1/setup").json() == {"completed": False}
    assert _local(api, "POST", "/api/v1/setup", {"outcome": "later"}).status == 400
    answer = _local(api, "POST", "/api/v1/setup", {"outcome": "skipped"})
    assert answer.status == 200, answer.body
    assert answer.json()["completed"] is True and answer.json()["outcome"] == "skipped"
    assert _local(api, "GET", "/api/v1/setup").json()["outcome"] == "skipped"
    [entry] = audit.read()
    assert entry["change"] == "setup.complete" and entry["after"]["outcome"] == "skipped"
    (tmp_path / "setup.json").write_text("{damaged")
    assert _local(api, "GET", "/api/v1/setup").json() == {"completed": False}


def test_over_tcp_a_log_in_is_needed(tmp_path: Path) -> None:
    api, _, _ = _unit(tmp_path, [])
    for path in ("/api/v1/time", "/api/v1/setup"):
        answer = call(api.app, "GET", path, auth=("admin", "wrong-password"),
                      environ={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
        assert answer.status == 401
