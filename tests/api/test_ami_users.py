"""AMI accounts for third parties against the real agent and the root filesystem's Asterisk:
an account added over the API logs in over TCP with the secret shown once and may run the
actions of its classes only; AMI listens beyond 127.0.0.1 only while an account permits an
address there; bad names, networks and classes are refused with manager.conf unchanged byte
for byte; a deleted account no longer logs in."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from testbed.ami_login import AmiLogin
from testbed.pbx_unit import Unit
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

USERS = "/api/v1/ami/users"
# An address of the unit's own (on eth0 of its namespace), outside 127.0.0.0/8.
UNIT_ADDRESS = "192.0.2.1"


def _add(unit: Unit, **body: Any) -> dict[str, Any]:
    status, answer = local_request(unit, "POST", USERS, json.dumps(body).encode())
    assert status == 201, answer
    return answer  # type: ignore[no-any-return]


def _delete(unit: Unit, name: str) -> None:
    status, answer = local_request(unit, "DELETE", f"{USERS}/{name}")
    assert status == 200, answer


def _manager_conf(unit: Unit) -> bytes:
    return (unit.sandbox.data / "etc/asterisk/manager.conf").read_bytes()


def _actions(answer: dict[str, Any]) -> dict[str, str]:
    """Each action's response: Success, or its error message."""
    return {
        a["action"]: "Success" if a["Response"] == "Success" else a.get("Message", "")
        for a in answer["actions"]
    }


def _delete_all(unit: Unit) -> None:
    for user in local_request(unit, "GET", USERS)[1]["users"]:
        _delete(unit, user["name"])


@pytest.fixture
def unit(lite_unit: Unit) -> Iterator[Unit]:
    """The package's unit with no third-party account (the fuzz test may have added some)."""
    _delete_all(lite_unit)
    yield lite_unit
    _delete_all(lite_unit)


def test_an_account_logs_in_with_its_secret_and_runs_only_its_classes(unit: Unit) -> None:
    ami = AmiLogin(unit.agent.netns)
    answer = _add(unit, name="crm", permit=["127.0.0.1/32"], read=["call"], write=["reporting"])
    secret = answer["secret"]
    assert answer["user"] == {
        "name": "crm", "permit": ["127.0.0.1/32"], "read": ["call"], "write": ["reporting"],
    }  # fmt: skip
    assert answer["listening"] == "127.0.0.1" and answer["applied"] is True

    logged_in = ami("crm", secret, "CoreStatus", "Command:Command=core show version")
    assert logged_in["login"]["Response"] == "Success", logged_in
    # CoreStatus needs system or reporting; Command needs command, which is never granted.
    assert _actions(logged_in) == {"CoreStatus": "Success", "Command": "Permission denied"}
    assert ami("crm", secret + "x")["login"]["Response"] == "Error"

    # The secret is shown once: not listed, not in the audit log; stored root-only.
    listed = local_request(unit, "GET", USERS)[1]
    assert listed == {"users": [answer["user"]], "listening": "127.0.0.1"}
    audit = unit.agent.ctl_json("audit", "--json")
    assert secret not in json.dumps(listed) + json.dumps(audit)
    assert any(e["change"] == "ami_user.create" for e in audit)  # type: ignore[union-attr]
    store = unit.sandbox.data / "orpheus/ami-users.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600 and store.stat().st_uid == 0
    conf = unit.sandbox.data / "etc/asterisk/manager.conf"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert conf.stat().st_gid == conf.parent.stat().st_gid  # Asterisk's group reads it
    # The agent's own account is still there and local-only.
    assert b"[orpheus]\n" in _manager_conf(unit)
    assert b"permit=127.0.0.1/255.255.255.255\nread=system" in _manager_conf(unit)


def test_ami_listens_beyond_loopback_only_while_an_account_permits_it(unit: Unit) -> None:
    ami = AmiLogin(unit.agent.netns)
    netns = ["ip", "netns", "exec", unit.agent.netns]
    subprocess.run([*netns, "ip", "addr", "add", f"{UNIT_ADDRESS}/24", "dev", "eth0"], check=True)
    try:
        local = _add(unit, name="local", permit=["127.0.0.1"], read=[], write=["reporting"])
        assert local["listening"] == "127.0.0.1"
        assert "127.0.0.1:5038" in unit.cli("manager show settings")
        refused = ami("local", local["secret"], host=UNIT_ADDRESS, source=UNIT_ADDRESS)
        assert refused["connected"] is False, refused  # nothing listens there

        lan = _add(unit, name="lan", permit=["192.0.2.0/24"], read=["call"], write=["reporting"])
        assert lan["listening"] == "0.0.0.0"
        assert "0.0.0.0:5038" in unit.cli("manager show settings")
        from_lan = ami("lan", lan["secret"], "Ping", host=UNIT_ADDRESS, source=UNIT_ADDRESS)
        assert from_lan["login"]["Response"] == "Success", from_lan
        # Each account's networks are its own: the local one is refused from the LAN address,
        # the LAN one from 127.0.0.1, the agent's own from anywhere but 127.0.0.1.
        local_from_lan = ami("local", local["secret"], host=UNIT_ADDRESS, source=UNIT_ADDRESS)
        assert local_from_lan["login"]["Response"] == "Error"
        assert ami("lan", lan["secret"])["login"]["Response"] == "Error"
        agent_secret = (unit.sandbox.data / "orpheus/ami-secret").read_text().strip()
        agent = ami("orpheus", agent_secret, host=UNIT_ADDRESS, source=UNIT_ADDRESS)
        assert agent["login"]["Response"] == "Error"

        _delete(unit, "lan")
        assert local_request(unit, "GET", USERS)[1]["listening"] == "127.0.0.1"
        assert "127.0.0.1:5038" in unit.cli("manager show settings")
        assert ami("lan", lan["secret"], host=UNIT_ADDRESS)["connected"] is False
    finally:
        subprocess.run([*netns, "ip", "addr", "del", f"{UNIT_ADDRESS}/24", "dev", "eth0"],
                       check=False)  # fmt: skip


BAD_BODIES = [
    {"name": "crm\n[evil]"},
    {"name": "crm\n"},
    {"name": "[crm]"},
    {"name": "crm;x"},
    {"name": "general"},
    {"name": "orpheus"},
    {"permit": ["192.0.2.0/24\npermit=0.0.0.0/0"]},
    {"permit": ["192.0.2.0/24\n"]},
    {"permit": ["192.0.2.0/24;"]},
    {"permit": ["[192.0.2.0/24]"]},
    {"permit": ["0.0.0.0/0"]},
    {"permit": ["192.0.2.1/24"]},
    {"permit": ["300.0.2.0/24"]},
    {"permit": ["2001:db8::/32"]},
    {"permit": []},
    {"read": ["call\nwrite=all"]},
    {"read": ["all"]},
    {"write": ["command"]},
    {"write": ["config"]},
    {"write": ["system"]},
    {"write": ["originate"]},  # would dial past the licence's call limit
    {"write": ["call"]},  # Redirect / Setvar: a channel or its GROUP out of the count
    {"write": ["call\n"]},
]


@pytest.mark.parametrize("bad", BAD_BODIES, ids=[json.dumps(b) for b in BAD_BODIES])
def test_bad_names_networks_and_classes_leave_manager_conf_unchanged(
    unit: Unit, bad: dict[str, Any]
) -> None:
    before, store = _manager_conf(unit), unit.sandbox.data / "orpheus/ami-users.json"
    stored = store.read_bytes() if store.exists() else None
    body = {"name": "crm", "permit": ["192.0.2.0/24"], "read": ["call"], "write": ["dtmf"], **bad}
    status, answer = local_request(unit, "POST", USERS, json.dumps(body).encode())
    assert status == 400, answer
    assert isinstance(answer["error"], str) and "\n" not in answer["error"]
    assert _manager_conf(unit) == before
    assert (store.read_bytes() if store.exists() else None) == stored
    assert local_request(unit, "GET", USERS)[1]["users"] == []


def test_unknown_and_malformed_names_on_delete(unit: Unit) -> None:
    before = _manager_conf(unit)
    assert local_request(unit, "DELETE", f"{USERS}/nobody")[0] == 404
    assert local_request(unit, "DELETE", f"{USERS}/crm%0A")[0] == 400
    assert local_request(unit, "DELETE", f"{USERS}/orpheus")[0] == 404  # not a third party's
    assert _manager_conf(unit) == before


def test_a_deleted_account_no_longer_logs_in(unit: Unit) -> None:
    ami = AmiLogin(unit.agent.netns)
    answer = _add(unit, name="gone", permit=["127.0.0.0/8"], read=["call"], write=["reporting"])
    assert ami("gone", answer["secret"])["login"]["Response"] == "Success"
    held = ami.start("gone", answer["secret"], "CoreStatus", hold_seconds=3)
    assert held.stdout is not None and held.stdout.readline() == "logged in\n"
    _delete(unit, "gone")
    assert b"[gone]" not in _manager_conf(unit)
    assert ami("gone", answer["secret"])["login"]["Response"] == "Error"
    # A session logged in before the delete is ended (a reload alone would keep it).
    out, _ = held.communicate(timeout=60)
    session = json.loads(out.splitlines()[-1])
    assert session["login"]["Response"] == "Success" and not session["actions"], session
    assert "closed by Asterisk" in session["error"] or "reset" in session["error"], session
    assert not any(
        line.split()[:1] == ["gone"] for line in unit.cli("manager show connected").splitlines()
    )
