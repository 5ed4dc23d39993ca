"""orpheusctl license (orpheus.cli.licensing): the limits table and installing a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orpheus.cli import main as cli_main

from .fake_client import FakeAgentClient, install

ANSWER: dict[str, Any] = {
    "tier_title": "Virtual machine",
    "license_id": "L-vm-1",
    "board": "vm",
    "alarm": None,
    "limits": {"concurrent_calls": 8, "external_calls_only": True, "extensions": None,
               "call_recording": True},
    "usage": {"concurrent_calls": 2, "extensions": 40, "call_recording": False},
    "addons": [],
    "update_support_until": "2027-06-30",
    "update_support_days_left": 200,
    "bound_to": {"serial": "ORP-1", "fingerprint": None},
}  # fmt: skip


def test_show_prints_limits_against_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/license"): ANSWER}))
    assert cli_main.main(["license", "show"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Tier                                     Virtual machine (licence L-vm-1)",
        "Board                                    vm",
        "Concurrent calls (calls through trunks)  2 of 8",
        "Extensions                               40 of unlimited",
        "Call recording                           no of yes",
        "Add-ons                                  none",
        "Update support                           until 2027-06-30 (200 days left)",
        "Bound to                                 ORP-1 (any hardware)",
    ]


def test_without_a_licence_the_base_tier_and_its_alarm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {**ANSWER, "license_id": None, "alarm": "licence bound to other hardware",
              "update_support_until": None, "bound_to": None, "addons": ["cti_free"],
              "usage": {}}  # fmt: skip
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/license"): answer}))
    assert cli_main.main(["license", "show"]) == 0
    out = capsys.readouterr().out
    assert "(board base tier)" in out and "ALARM" in out
    assert "Extensions                               - of unlimited" in out
    assert "Update support                           -\n" in out and "cti_free" in out


def test_install_sends_the_document_as_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = {"payload": {"tier": "lite"}, "signature": "c2ln"}
    path = tmp_path / "licence.json"
    path.write_text(json.dumps(document))
    answer = {"license_id": "L-1", "tier_title": "Lite"}
    client = install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/license"): answer}))
    assert cli_main.main(["license", "install", str(path)]) == 0
    assert client.requests == [("PUT", "/api/v1/license", document)]
    assert capsys.readouterr().out == "licence L-1 installed: tier Lite, in force now\n"


def test_a_file_that_cannot_be_read_or_parsed_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    client = install(monkeypatch, FakeAgentClient())
    missing = tmp_path / "missing.json"
    assert cli_main.main(["license", "install", str(missing)]) == 1
    expected = f"orpheusctl: cannot read {missing}: No such file or directory\n"
    assert capsys.readouterr().err == expected
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert cli_main.main(["license", "install", str(broken)]) == 1
    assert capsys.readouterr().err.startswith("orpheusctl: licence is not valid JSON: ")
    assert client.requests == []
