"""A Mini's configuration limits, every bad input of the issue, and the audit log.

Each bad input must give one clear line, a non-zero exit, and leave the licence and the
configuration as they were (checked through the API and in the running Asterisk).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from testbed.pbx_unit import Unit, console_user

pytestmark = pytest.mark.rootfs

PASSWORD = "s3cret-Pass"


def _state(unit: Unit) -> tuple[Any, ...]:
    """The licence, every stored record and the rendered files: what must not change."""
    state_dir = unit.sandbox.data / "orpheus"
    licence = state_dir / "license.json"
    with sqlite3.connect(f"file:{state_dir / 'pbx.sqlite'}?mode=ro", uri=True) as db:
        records = db.execute("SELECT kind, key, data FROM records ORDER BY seq").fetchall()
    etc = unit.sandbox.data / "etc/asterisk"
    files = tuple((etc / name).read_text() for name in
                  ("pjsip.d/orpheus.conf", "extensions.conf", "queues.conf"))  # fmt: skip
    return licence.read_bytes() if licence.exists() else None, records, files


def _refused(unit: Unit, *args: str) -> str:
    before = _state(unit)
    result = unit.agent.ctl(*args)
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert _state(unit) == before
    return lines[0]


def _install(unit: Unit, document: object, name: str) -> str:
    path = unit.agent.workdir / f"{name}.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return _refused(unit, "license", "install", str(path))


def test_twelve_extensions_then_the_thirteenth_is_refused(mini_unit: Unit) -> None:
    for number in range(201, 213):
        result = mini_unit.agent.ctl("pbx", "add", "extension", f"number={number}",
                                     f"password={PASSWORD}", f"name=User {number}")  # fmt: skip
        assert result.returncode == 0, result.stderr
    message = _refused(mini_unit, "pbx", "add", "extension", "number=213", f"password={PASSWORD}")
    assert "12 extensions" in message and "this change makes 13" in message
    assert "Lite licence" in message
    endpoints = mini_unit.cli("pjsip show endpoints")
    assert "212/" in endpoints and "213" not in endpoints


def test_recording_second_queue_and_lite_features_are_refused(mini_unit: Unit) -> None:
    message = _refused(mini_unit, "pbx", "add", "recording", "enabled=yes")
    assert "call recording" in message and "Lite licence" in message
    created = mini_unit.agent.ctl("pbx", "add", "queue", "name=support", "number=500",
                                  "members=201,202")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "support has 0 calls" in mini_unit.cli("queue show support")
    message = _refused(mini_unit, "pbx", "add", "queue", "name=sales", "number=501")
    assert "1 queues" in message and "makes 2" in message
    mini_unit.agent.ctl("pbx", "add", "ivr", "name=main", "number=600", "options=1=ivr:sub")
    message = _refused(mini_unit, "pbx", "add", "ivr", "name=sub", "parent=main")
    assert "IVR menu levels" in message
    for trunk in range(1, 5):
        result = mini_unit.agent.ctl("pbx", "add", "trunk", f"name=carrier{trunk}",
                                     f"host=127.0.0.{10 + trunk}")  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert "4 lines" in _refused(mini_unit, "pbx", "add", "trunk", "name=carrier5",
                                 "host=127.0.0.15")  # fmt: skip
    message = _refused(mini_unit, "pbx", "add", "balancer", "name=out", "trunks=carrier1,carrier2",
                       "prefix=9")  # fmt: skip
    assert "balancer" in message
    message = _refused(mini_unit, "pbx", "set", "queue", "support", "callcenter=yes")
    assert "Call Center" in message
    message = _refused(mini_unit, "pbx", "set", "extension", "201", "remote=yes")
    assert "remote extensions" in message


def test_a_change_asterisk_rejects_keeps_the_previous_configuration(mini_unit: Unit) -> None:
    mini_unit.agent.ctl("pbx", "delete", "trunk", "carrier4")
    message = _refused(mini_unit, "pbx", "add", "trunk", "name=odd", "host=127.0.0.20",
                       "codecs=ulaw,nosuchcodec")  # fmt: skip
    assert "Asterisk rejected the change" in message and "orpheus-trunk-odd" in message
    endpoints = mini_unit.cli("pjsip show endpoints")
    assert "orpheus-trunk-odd" not in endpoints and "orpheus-trunk-carrier1" in endpoints


def test_bad_licences_are_refused_and_change_nothing(mini_unit: Unit) -> None:
    unit, vendor, serial = mini_unit, mini_unit.vendor, mini_unit.serial
    tampered = vendor.licence(serial, "mini")
    tampered["payload"]["tier"] = "v4r"  # type: ignore[index]
    assert "signature does not match" in _install(unit, tampered, "tampered")
    other_vendor = type(vendor)(unit.agent.workdir / "other-vendor")
    assert "signature does not match" in _install(unit, other_vendor.licence(serial, "lite"),
                                                  "other-key")  # fmt: skip
    assert "this unit is ORP-MINI-0001" in _install(unit, vendor.licence("ORP-9999", "lite"),
                                                    "other-serial")  # fmt: skip
    assert "other hardware" in _install(unit, vendor.licence(serial, "lite", fingerprint="0" * 32),
                                        "other-hardware")  # fmt: skip
    assert "at least 5 channels" in _install(unit, vendor.licence(serial, "vm", channels=3), "vm3")
    assert "cannot take" in _install(unit, vendor.licence(serial, "v4r"), "v4r-on-mini")
    assert "not valid JSON" in _install(unit, '{"payload": {', "malformed")
    assert "cannot take the add-on 'callcenter'" in _install(
        unit, vendor.licence(serial, "mini", addons=["callcenter"]), "mini-callcenter"
    )


def test_audit_log_holds_each_change_with_its_user(mini_unit: Unit) -> None:
    entries = mini_unit.agent.ctl_json("audit", "--json")
    assert isinstance(entries, list)
    changes = [(e["change"], e["object"]) for e in entries]
    assert ("extension.create", "extension 212") in changes
    assert ("queue.create", "queue support") in changes
    assert ("trunk.delete", "trunk carrier4") in changes
    assert ("trunk.create", "trunk odd") not in changes  # refused changes leave no entry
    # orpheusctl sent X-Orpheus-User: tester; the agent names the socket's real peer instead.
    assert {e["user"] for e in entries if e["change"] != "identity.write"} == {console_user()}
    created = next(e for e in entries if e["object"] == "extension 212")
    assert created["before"] is None and created["after"]["number"] == "212"
    assert created["after"]["password"] == "********"
    deleted = next(e for e in entries if e["change"] == "trunk.delete")
    assert deleted["before"]["host"] == "127.0.0.14" and deleted["after"] is None
    later = mini_unit.agent.ctl_json("audit", "--json", "--since", "2999-01-01")
    assert later == []
