"""network/feature.py: GET/PUT /api/v1/network on the real bottle application."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.network.feature import NetworkFeature
from orpheus.network.settings import NetworkStore
from tests.unit.api.wsgi_client import Answer, call


def _unit(tmp_path: Path, apply: list[str]) -> tuple[Api, AuditLog, NetworkStore]:
    api = Api(PasswordStore(tmp_path))
    audit = AuditLog(tmp_path / "audit.sqlite")
    store = NetworkStore(tmp_path / "network.json", tmp_path / "net/10-orpheus.network")
    NetworkFeature(store, apply, audit).install_routes(api)
    return api, audit, store


def _local(api: Api, method: str, body: dict[str, Any] | None = None) -> Answer:
    raw = None if body is None else json.dumps(body).encode()
    return call(api.app, method, "/api/v1/network", raw, auth=None,
                environ={LOCAL_ENVIRON_KEY: True})  # fmt: skip


def test_a_static_address_is_saved_applied_and_audited(tmp_path: Path) -> None:
    marker = tmp_path / "applied"
    api, audit, store = _unit(tmp_path, ["touch", str(marker)])
    body = {"mode": "static", "interface": "eth0", "address": "192.0.2.10/24"}
    answer = _local(api, "PUT", body)
    assert answer.status == 200, answer.body
    assert answer.json()["applied"] is True and answer.json()["address"] == "192.0.2.10/24"
    assert marker.exists()
    assert "Address=192.0.2.10/24" in store.network_file.read_text()
    [entry] = audit.read()
    assert entry["change"] == "network.change"
    assert entry["before"] == {"mode": "dhcp", "dns": []}
    assert entry["after"] == {**body, "dns": []}
    shown = _local(api, "GET").json()
    assert shown["mode"] == "static" and isinstance(shown["addresses"], list)


def test_a_refused_value_changes_nothing(tmp_path: Path) -> None:
    api, audit, store = _unit(tmp_path, [])
    for body in ({"mode": "static", "interface": "eth0", "address": "192.0.2.10/24",
                  "gateway": "10.0.0.1"},
                 {"mode": "static", "address": "192.0.2.10/24"},
                 {"mode": "bridge"}, {"mode": "dhcp", "dns": ["192.0.2.1"] * 4},
                 {"mode": "dhcp", "extra": 1}):  # fmt: skip
        assert _local(api, "PUT", body).status == 400, body
    assert audit.read() == [] and not store.network_file.exists()


def test_saved_when_networkd_cannot_apply(tmp_path: Path) -> None:
    api, audit, store = _unit(tmp_path, ["false"])
    answer = _local(api, "PUT", {"mode": "dhcp"})
    assert answer.status == 200
    assert answer.json()["applied"] is False and "false" in answer.json()["apply_error"]
    assert store.network_file.exists() and len(audit.read()) == 1


def test_over_tcp_the_network_area_is_needed(tmp_path: Path) -> None:
    api, _, _ = _unit(tmp_path, [])
    answer = call(api.app, "GET", "/api/v1/network", auth=("admin", "wrong-password"),
                  environ={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
    assert answer.status == 401
