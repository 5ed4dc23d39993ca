"""No value reaches a configuration file unchecked: every string field of every PBX record, of
the SNMP settings and of an HA pairing, tried with a newline, a carriage return, `#include`,
a `[section]`, `;`, a quote and NUL, is 400 and every file stays byte for byte as it was. Each
field is tried in an otherwise valid request, which goes through once the field is clean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from testbed.pbx_unit import Unit
from tests.api.conftest import local_request
from tests.api.test_bad_input import _fingerprint

pytestmark = pytest.mark.rootfs

INJECTIONS = ("\n[evil]\ntype=endpoint", "\r", "\n#include /etc/passwd", "[section]", ";x",
              '"', "\x00")  # fmt: skip
# SNMPv3 secrets are written quoted into snmpd.conf: inside the quotes [, ] and ; are only
# characters (a strong password may hold them); what would end the value is still refused.
QUOTED_SECRETS = ("auth_password", "priv_password")
STRUCTURAL = ("\n[evil]\ntype=endpoint", "\r", "\n#include /etc/passwd", '"', "\x00")
# kind -> a valid record with every string field set
RECORDS: dict[str, dict[str, Any]] = {
    "extension": {"number": "2101", "name": "Front desk", "password": "Good-pass-2101"},
    "trunk": {
        "name": "inj",
        "host": "192.0.2.10",
        "username": "carrier-user",
        "password": "Trunk-pass-1",
        "prefix": "8",
        "inbound": "2101",
        "codecs": ["ulaw"],
    },
    "queue": {"name": "injq", "number": "2200", "members": ["2101"], "strategy": "ringall"},
    "ivr": {
        "name": "injivr",
        "number": "2300",
        "prompt": "demo-congrats",
        "options": {"1": "extension:2101"},
    },
    "balancer": {"name": "injbal", "trunks": ["inj"], "prefix": "7", "strategy": "failover"},
}
SNMP = {
    "contact": "noc@example.com",
    "location": "Rack 4",
    "communities": [{"name": "monitor", "sources": ["127.0.0.1/32"]}],
    "users": [{"name": "nms", "auth_password": "authpass123", "priv_password": "privpass123"}],
    "receivers": [{"host": "127.0.0.1", "port": 162, "community": "monitor"}],
}


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where the strings of a JSON value are (list indexes and mapping keys)."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _string_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _string_paths(item, (*path, index))]
    return []


def _with(value: Any, path: tuple[Any, ...], text: str) -> Any:
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = target[path[-1]] + text
    return copy


def _refused_everywhere(unit: Unit, method: str, route: str, valid: dict[str, Any]) -> int:
    tried = 0
    for path in _string_paths(valid):
        for text in STRUCTURAL if path[-1] in QUOTED_SECRETS else INJECTIONS:
            body = json.dumps(_with(valid, path, text)).encode()
            status, answer = local_request(unit, method, route, body)
            assert status == 400, (route, path, text, status, answer)
            assert "\n" not in answer["error"]
            tried += 1
    return tried


def test_every_string_field_refuses_what_would_change_a_files_structure(
    lite_unit: Unit,
) -> None:
    before = _fingerprint(lite_unit)
    tried = 0
    for kind, record in RECORDS.items():
        tried += _refused_everywhere(lite_unit, "POST", f"/api/v1/pbx/{kind}", record)
    recording = {"storage": "internal"}
    tried += _refused_everywhere(lite_unit, "PUT", "/api/v1/pbx/recording/recording", recording)
    tried += _refused_everywhere(lite_unit, "PUT", "/api/v1/snmp", SNMP)
    pairing = {"peer": "192.0.2.2", "vip": "192.0.2.100/24", "interface": "eth0",
               "code": "123-456-789", "witness": "192.0.2.1",
               "peer_fingerprint": "ab" * 32}  # fmt: skip
    tried += _refused_everywhere(lite_unit, "POST", "/api/v1/ha/pair", pairing)
    assert tried > 200  # every string field of every record and setting, each injection
    assert _fingerprint(lite_unit) == before
    # The same requests, clean, go through: each refusal was the injected field's.
    for kind in reversed(RECORDS):  # left over from an earlier run: balancer first
        key = RECORDS[kind]["number" if kind == "extension" else "name"]
        local_request(lite_unit, "DELETE", f"/api/v1/pbx/{kind}/{key}", b"{}")
    for kind, record in RECORDS.items():
        status, answer = local_request(
            lite_unit, "POST", f"/api/v1/pbx/{kind}", json.dumps(record).encode()
        )
        assert status == 200, (kind, answer)
    status, answer = local_request(lite_unit, "PUT", "/api/v1/snmp", json.dumps(SNMP).encode())
    assert status == 200, answer
    pjsip = (lite_unit.sandbox.data / "etc/asterisk/pjsip.d/orpheus.conf").read_text()
    assert "username=carrier-user" in pjsip and "[evil]" not in pjsip
