"""orpheusctl call and orpheusctl ami user: the requests sent, what is printed."""

from __future__ import annotations

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli.client import AgentError

from .fake_client import FakeAgentClient, install

CALL = {
    "id": "0123456789abcdef0123456789abcdef", "from": "101", "to": "102", "state": "up",
    "duration_seconds": 12, "trunk": None, "channels": [],
}  # fmt: skip


def test_call_start_posts_and_prints_the_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = install(monkeypatch, FakeAgentClient({("POST", "/api/v1/calls"): CALL}))
    assert cli_main.main(["call", "start", "101", "0212345", "--caller-number", "+3902"]) == 0
    assert client.requests == [
        ("POST", "/api/v1/calls", {"from": "101", "to": "0212345",
                                   "caller_id": {"number": "+3902"}}),
    ]  # fmt: skip
    assert capsys.readouterr().out == f"{CALL['id']}\n"


def test_call_list_and_hangup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"/api/v1/calls/{CALL['id']}"
    client = install(monkeypatch, FakeAgentClient({
        ("GET", "/api/v1/calls"): {"calls": [CALL]},
        ("DELETE", path): {"id": CALL["id"], "hung_up": ["PJSIP/101-1", "PJSIP/102-2"]},
        ("DELETE", "/api/v1/calls/a%2F..%2Fb"): AgentError("not a call id"),
    }))  # fmt: skip
    assert cli_main.main(["call", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["ID", "FROM", "TO", "STATE", "SECONDS", "TRUNK"]
    assert listed[1].split() == [CALL["id"], "101", "102", "up", "12", "-"]
    assert cli_main.main(["call", "hangup", CALL["id"]]) == 0
    assert "2 channel(s)" in capsys.readouterr().out
    assert cli_main.main(["call", "hangup", "a/../b"]) == 1  # quoted: no other route reached
    assert client.requests[-1][1] == "/api/v1/calls/a%2F..%2Fb"


def test_ami_user_add_prints_the_secret_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {"user": {}, "secret": "k" * 32, "listening": "0.0.0.0", "applied": True,
              "detail": "manager reloaded"}  # fmt: skip
    client = install(monkeypatch, FakeAgentClient({("POST", "/api/v1/ami/users"): answer}))
    argv = ["ami", "user", "add", "crm", "--permit", "192.0.2.0/24", "--permit", "198.51.100.7",
            "--read", "call,reporting", "--write", "reporting"]  # fmt: skip
    assert cli_main.main(argv) == 0
    assert client.requests == [("POST", "/api/v1/ami/users", {
        "name": "crm", "permit": ["192.0.2.0/24", "198.51.100.7"],
        "read": ["call", "reporting"], "write": ["reporting"],
    })]  # fmt: skip
    out = capsys.readouterr().out
    assert f"secret: {'k' * 32}\n" in out and "AMI listens on 0.0.0.0" in out


def test_ami_user_list_and_delete(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    user = {"name": "crm", "permit": ["192.0.2.0/24"], "read": ["call"], "write": []}
    install(monkeypatch, FakeAgentClient({
        ("GET", "/api/v1/ami/users"): {"users": [user], "listening": "0.0.0.0"},
        ("DELETE", "/api/v1/ami/users/crm"): {"deleted": "crm", "listening": "127.0.0.1",
                                              "applied": True, "detail": "manager reloaded"},
        ("DELETE", "/api/v1/ami/users/nobody"): AgentError("no AMI user 'nobody'"),
    }))  # fmt: skip
    assert cli_main.main(["ami", "user", "list"]) == 0
    assert "crm  permit=192.0.2.0/24  read=call  write=" in capsys.readouterr().out
    assert cli_main.main(["ami", "user", "delete", "crm"]) == 0
    assert "AMI user crm deleted" in capsys.readouterr().out
    assert cli_main.main(["ami", "user", "delete", "nobody"]) == 1
    assert "no AMI user 'nobody'" in capsys.readouterr().err
