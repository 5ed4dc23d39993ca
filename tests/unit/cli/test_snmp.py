"""orpheusctl snmp (orpheus.cli.snmp): options to the settings sent, and the settings shown."""

from __future__ import annotations

import pytest

from orpheus.cli import main as cli_main

from .fake_client import FakeAgentClient, install

SETTINGS = {
    "contact": "NOC",
    "location": "",
    "communities": [{"name": "monitor", "sources": ["10.0.0.0/8", "192.168.1.0/24"]}],
    "users": [{"name": "nms", "auth_password": "********", "priv_password": "********"}],
    "receivers": [
        {"host": "10.0.0.5", "port": 162, "community": "traps", "user": None},
        {"host": "10.0.0.6", "port": 1162, "community": None, "user": "nms"},
    ],
}


def _set(monkeypatch: pytest.MonkeyPatch, *options: str) -> object:
    client = install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/snmp"): {}}))
    assert cli_main.main(["snmp", "set", *options]) == 0
    ((method, path, body),) = client.requests
    assert (method, path) == ("PUT", "/api/v1/snmp")
    return body


def test_set_sends_each_list_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _set(
        monkeypatch,
        "--contact", "NOC +41 22 000",
        "--community", "monitor@10.0.0.0/8,192.168.1.0/24",
        "--v3-user", "nms:AUTHSECRET:PRIVSECRET",
        "--trap", "10.0.0.5/traps",
        "--inform", "10.0.0.6:1162/nms",
    )  # fmt: skip
    assert body == {
        "contact": "NOC +41 22 000",
        "communities": [{"name": "monitor", "sources": ["10.0.0.0/8", "192.168.1.0/24"]}],
        "users": [{"name": "nms", "auth_password": "AUTHSECRET", "priv_password": "PRIVSECRET"}],
        "receivers": [
            {"host": "10.0.0.5", "port": 162, "community": "traps"},
            {"host": "10.0.0.6", "port": 1162, "user": "nms"},
        ],
    }


def test_the_no_options_empty_their_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _set(monkeypatch, "--no-communities", "--no-v3-users", "--no-receivers")
    assert body == {"communities": [], "users": [], "receivers": []}
    assert _set(monkeypatch, "--location", "") == {"location": ""}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "nothing to change"),
        (["--community", "monitor"], "give the source networks as NAME@NET"),
        (["--v3-user", "nms:only"], "use NAME:AUTHPASS:PRIVPASS"),
        (["--trap", "10.0.0.5"], "use HOST[:PORT]/COMMUNITY"),
        (["--inform", "10.0.0.6:x/nms"], "the port must be a number"),
    ],
)
def test_bad_options_are_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    client = install(monkeypatch, FakeAgentClient())
    assert cli_main.main(["snmp", "set", *options]) == 1
    assert client.requests == []
    err = capsys.readouterr().err
    assert err.startswith("orpheusctl: ") and message in err


def test_a_warning_of_the_agent_is_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {"warning": "snmpd is not running"}
    install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/snmp"): answer}))
    assert cli_main.main(["snmp", "set", "--contact", "x"]) == 0
    assert capsys.readouterr().out == (
        "orpheusctl: warning: snmpd is not running\nSNMP settings saved\n"
    )


def test_show_prints_one_line_per_entry_and_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {"settings": SETTINGS, "agentx_connected": False, "objects": 42}
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/snmp"): answer}))
    assert cli_main.main(["snmp", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "Contact    NOC",
        "Location   -",
        "Community  monitor from 10.0.0.0/8, 192.168.1.0/24",
        "v3 user    nms (authPriv SHA/AES)",
        "Receiver   10.0.0.5:162 v2c traps, community traps",
        "Receiver   10.0.0.6:1162 v3 informs as nms",
        "AgentX     NOT connected",
        "Objects    42",
    ]
