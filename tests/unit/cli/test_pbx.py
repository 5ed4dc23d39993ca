"""orpheusctl pbx (orpheus.cli.pbx): FIELD=VALUE parsing, the requests sent, what is printed."""

from __future__ import annotations

import json

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli.pbx import parse_fields

from .fake_client import FakeAgentClient, install

APPLIED = {"applied": True, "reloaded": ["res_pjsip.so"], "detail": "reloaded"}
STORED = {"applied": False, "reloaded": [], "detail": "Asterisk is not running"}
RECORD = {"number": "101", "name": "", "password": "********", "remote": False}


def test_fields_are_split_at_the_first_equals_sign() -> None:
    assert parse_fields(["number=101", "options=1=extension:101,2=ivr:sales", "name="]) == {
        "number": "101",
        "options": "1=extension:101,2=ivr:sales",
        "name": "",
    }
    for bad in ("number", "=101"):
        with pytest.raises(ValueError, match="expected FIELD=VALUE"):
            parse_fields([bad])


def test_add_posts_the_fields_and_prints_the_record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {**APPLIED, "record": RECORD}
    client = install(monkeypatch, FakeAgentClient({("POST", "/api/v1/pbx/extension"): answer}))
    assert cli_main.main(["pbx", "add", "extension", "number=101", "password=pw101pw101"]) == 0
    assert client.requests == [
        ("POST", "/api/v1/pbx/extension", {"number": "101", "password": "pw101pw101"})
    ]
    assert json.loads(capsys.readouterr().out) == RECORD


def test_a_change_asterisk_did_not_take_yet_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {**STORED, "record": RECORD}
    install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/pbx/extension/101"): answer}))
    assert cli_main.main(["pbx", "set", "extension", "101", "name=Reception"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("stored; Asterisk is not running: Asterisk reads it when it starts\n")


def test_the_recording_singleton_is_put_not_posted(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {**APPLIED, "record": {"enabled": True, "storage": "internal"}}
    client = install(
        monkeypatch, FakeAgentClient({("PUT", "/api/v1/pbx/recording/recording"): answer})
    )
    assert cli_main.main(["pbx", "add", "recording", "enabled=yes"]) == 0
    assert client.requests == [("PUT", "/api/v1/pbx/recording/recording", {"enabled": "yes"})]


def test_a_bad_field_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = install(monkeypatch, FakeAgentClient())
    assert cli_main.main(["pbx", "add", "trunk", "name=t1", "host"]) == 2
    assert cli_main.main(["pbx", "set", "trunk", "t1", "=x"]) == 2
    assert client.requests == []
    assert capsys.readouterr().err == (
        "orpheusctl: 'host': expected FIELD=VALUE\norpheusctl: '=x': expected FIELD=VALUE\n"
    )


def test_delete_list_and_show(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = install(
        monkeypatch,
        FakeAgentClient(
            {
                ("DELETE", "/api/v1/pbx/queue/sales"): APPLIED,
                ("GET", "/api/v1/pbx/extension"): [RECORD],
                ("GET", "/api/v1/pbx/recording/recording"): {"enabled": False},
            }
        ),
    )
    assert cli_main.main(["pbx", "delete", "queue", "sales"]) == 0
    assert capsys.readouterr().out == "queue sales deleted\n"
    assert cli_main.main(["pbx", "list", "extension"]) == 0
    assert json.loads(capsys.readouterr().out) == [RECORD]
    assert cli_main.main(["pbx", "show", "recording"]) == 0  # the key defaults to the singleton
    assert json.loads(capsys.readouterr().out) == {"enabled": False}
    assert [r[:2] for r in client.requests] == [
        ("DELETE", "/api/v1/pbx/queue/sales"),
        ("GET", "/api/v1/pbx/extension"),
        ("GET", "/api/v1/pbx/recording/recording"),
    ]
    assert client.requests[0][2] is None  # the client itself turns it into {} (test_client)


def test_an_unknown_kind_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    client = install(monkeypatch, FakeAgentClient())
    with pytest.raises(SystemExit) as raised:
        cli_main.main(["pbx", "list", "phone"])
    assert raised.value.code == 2 and client.requests == []
