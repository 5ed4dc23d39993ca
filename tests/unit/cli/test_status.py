"""orpheusctl status (orpheus.cli.status): the table people read, and --json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orpheus.cli import main as cli_main

from .fake_client import FakeAgentClient, install

STATUS: dict[str, Any] = {
    "version": "1.2.0",
    "build_date": "2026-12-01T00:00:00Z",
    "commit": "abc1234",
    "agent_version": "1.2.0",
    "board": "mini",
    "booted_slot": None,
    "uptime_seconds": 61.4,
    "load": [0.5, 0.25, 0.125],
    "memory": {"available_bytes": 512 * 1024**2, "total_bytes": 2 * 1024**3},
    "storage": {"root": {"free_bytes": 1024, "total_bytes": 4096}, "data": None},
    "asterisk": {"running": False, "error": "no answer on AMI"},
    "alarms": ["licence bound to other hardware"],
}


def test_the_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/status"): STATUS}))
    assert cli_main.main(["status"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Firmware     1.2.0 (built 2026-12-01T00:00:00Z, abc1234)",
        "Agent        1.2.0",
        "Board        mini",
        "Booted slot  -",
        "Uptime       61 s",
        "Load         0.50 0.25 0.12",
        "Memory       512.0 MiB available of 2.0 GiB",
        "Root         1.0 KiB free of 4.0 KiB",
        "Data         -",
        "Asterisk     NOT RUNNING (no answer on AMI)",
        "HTTPS        -",
        "ALARM        licence bound to other hardware",
    ]


def test_a_running_asterisk_shows_its_version(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    running = {"running": True, "version": "22.1", "uptime_seconds": 30}
    install(
        monkeypatch,
        FakeAgentClient({("GET", "/api/v1/status"): {**STATUS, "asterisk": running}}),
    )
    assert cli_main.main(["status"]) == 0
    assert "Asterisk     running, version 22.1, up 30 s\n" in capsys.readouterr().out


def test_json_is_the_apis_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/status"): STATUS}))
    assert cli_main.main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == STATUS


def test_the_https_fingerprint_is_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fingerprint = ":".join(["AB"] * 32)
    answer = {**STATUS, "tls_fingerprint": fingerprint}
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/status"): answer}))
    assert cli_main.main(["status"]) == 0
    assert f"HTTPS        certificate SHA-256 {fingerprint}\n" in capsys.readouterr().out


def test_weak_sip_passwords_are_counted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(
        monkeypatch, FakeAgentClient({("GET", "/api/v1/status"): {**STATUS, "weak_passwords": 3}})
    )
    assert cli_main.main(["status"]) == 0
    assert "WARNING      3 weak SIP password(s) of extensions or trunks" in capsys.readouterr().out
