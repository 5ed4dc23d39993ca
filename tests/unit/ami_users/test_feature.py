"""/api/v1/ami/users in process (Asterisk stopped): the secret shown once and stored root-only,
manager.conf and the store unchanged byte for byte on a refusal, audit entries."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orpheus.ami_users.feature import AmiUsersFeature
from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from tests.agent_parts import PbxUnit

USERS = "/api/v1/ami/users"
GOOD = {"name": "crm", "permit": ["192.0.2.0/24"], "read": ["call"], "write": ["reporting"]}


@pytest.fixture
def unit(tmp_path: Path) -> PbxUnit:
    return PbxUnit(tmp_path / "data", tmp_path)


def _files(unit: PbxUnit) -> dict[str, bytes]:
    store = unit.state_dir / "ami-users.json"
    return {**unit.asterisk_files(), "store": store.read_bytes() if store.exists() else b""}


def test_an_account_is_added_listed_and_deleted(unit: PbxUnit) -> None:
    added = unit.request("POST", USERS, GOOD)
    assert added.status == 201, added
    secret = added.body["secret"]
    assert len(secret) == 32 and added.body["listening"] == "0.0.0.0"
    assert added.body["applied"] is False  # Asterisk is stopped: it reads the file at start
    conf = (unit.asterisk_dir / "manager.conf").read_text()
    assert f"[crm]\nsecret={secret}\ndeny=0.0.0.0/0.0.0.0\npermit=192.0.2.0/255.255.255.0\n" in conf
    store = unit.state_dir / "ami-users.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    listed = unit.request("GET", USERS).body
    assert listed == {"users": [added.body["user"]], "listening": "0.0.0.0"}
    entries = unit.audit.read()
    assert entries[-1]["change"] == "ami_user.create" and secret not in json.dumps(entries)

    assert unit.request("POST", USERS, GOOD).status == 409
    assert unit.request("DELETE", f"{USERS}/crm").status == 200
    assert "[crm]" not in (unit.asterisk_dir / "manager.conf").read_text()
    assert unit.request("GET", USERS).body == {"users": [], "listening": "127.0.0.1"}
    assert unit.audit.read()[-1]["change"] == "ami_user.delete"
    assert unit.request("DELETE", f"{USERS}/crm").status == 404


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "crm\n"}, {"name": "a]b"}, {"name": "orpheus"}, {"permit": ["192.0.2.0/24\n"]},
        {"permit": ["192.0.2.9/24"]}, {"permit": ["0.0.0.0/0"]}, {"read": ["call\n"]},
        {"write": ["command"]}, {"write": ["all"]}, {"extra": True},
    ],
)  # fmt: skip
def test_a_refused_account_changes_no_file(unit: PbxUnit, bad: dict[str, object]) -> None:
    unit.request("POST", USERS, {**GOOD, "name": "kept"})
    before = _files(unit)
    answer = unit.request("POST", USERS, {**GOOD, **bad})
    assert answer.status == 400, answer
    assert "\n" not in answer.body["error"]
    assert _files(unit) == before


def test_stored_accounts_are_rendered_again_at_start(unit: PbxUnit) -> None:
    secret = unit.request("POST", USERS, GOOD).body["secret"]
    (unit.asterisk_dir / "manager.conf").unlink()
    login = ManagerLogin(1, "orpheus", "agent-secret")
    again = AmiUsersFeature(unit.state_dir, unit.asterisk_dir, Asterisk(("false",), login),
                            unit.audit)  # fmt: skip
    again.start()
    conf = (unit.asterisk_dir / "manager.conf").read_text()
    assert f"secret={secret}\n" in conf and "[orpheus]\nsecret=agent-secret\n" in conf
    assert again.list_users()["users"][0]["name"] == "crm"
