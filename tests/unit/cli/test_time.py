"""orpheusctl time (orpheus.cli.time): the settings' table and what set sends."""

from __future__ import annotations

from typing import Any

import pytest

from orpheus.cli import main as cli_main

from .fake_client import FakeAgentClient, install

ROME: dict[str, Any] = {"timezone": "Europe/Rome", "ntp_servers": ["a.example", "192.0.2.5"],
                        "now": "2026-12-03T14:00:00Z", "synchronized": True}  # fmt: skip


def test_show(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/time"): ROME}))
    assert cli_main.main(["time", "show"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Time zone     Europe/Rome",
        "NTP servers   a.example, 192.0.2.5",
        "Now (UTC)     2026-12-03T14:00:00Z",
        "Synchronized  yes",
    ]


def test_set_sends_only_what_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    client = install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/time"): ROME}))
    assert (
        cli_main.main(["time", "set", "--timezone", "Europe/Rome", "--ntp", "a.example, 192.0.2.5"])
        == 0
    )
    assert cli_main.main(["time", "set", "--ntp", ""]) == 0
    assert cli_main.main(["time", "set", "--timezone", "UTC"]) == 0
    assert [body for _, _, body in client.requests] == [
        {"timezone": "Europe/Rome", "ntp_servers": ["a.example", "192.0.2.5"]},
        {"ntp_servers": []},
        {"timezone": "UTC"},
    ]


def test_set_without_a_value_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    client = install(monkeypatch, FakeAgentClient())
    assert cli_main.main(["time", "set"]) == 2
    assert client.requests == []


def test_saved_but_not_applied_is_exit_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {**ROME, "applied": False, "apply_error": "systemctl failed"}
    install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/time"): answer}))
    assert cli_main.main(["time", "set", "--timezone", "Europe/Rome"]) == 1
    assert "systemctl failed" in capsys.readouterr().out
