"""orpheusctl network (orpheus.cli.network): the settings' table, DHCP and a static address."""

from __future__ import annotations

from typing import Any

import pytest

from orpheus.cli import main as cli_main

from .fake_client import FakeAgentClient, install

STATIC: dict[str, Any] = {
    "mode": "static", "interface": "enp1s0", "address": "192.0.2.10/24", "gateway": "192.0.2.1",
    "dns": ["192.0.2.53"], "addresses": [{"interface": "enp1s0", "address": "192.0.2.10/24"}],
}  # fmt: skip


def test_show(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/network"): STATIC}))
    assert cli_main.main(["network", "show"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Mode       static",
        "Interface  enp1s0",
        "Address    192.0.2.10/24",
        "Gateway    192.0.2.1",
        "DNS        192.0.2.53",
        "Held now   enp1s0 192.0.2.10/24",
    ]


def test_static_and_dhcp_send_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    client = install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/network"): STATIC}))
    argv = ["network", "static", "enp1s0", "192.0.2.10/24", "--gateway", "192.0.2.1",
            "--dns", "192.0.2.53", "--dns", "192.0.2.54"]  # fmt: skip
    assert cli_main.main(argv) == 0
    assert cli_main.main(["network", "dhcp"]) == 0
    assert [body for _, _, body in client.requests] == [
        {"mode": "static", "interface": "enp1s0", "address": "192.0.2.10/24",
         "gateway": "192.0.2.1", "dns": ["192.0.2.53", "192.0.2.54"]},
        {"mode": "dhcp", "dns": []},
    ]  # fmt: skip


def test_saved_but_not_applied_is_exit_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {"mode": "dhcp", "dns": [], "applied": False, "apply_error": "networkctl failed"}
    install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/network"): answer}))
    assert cli_main.main(["network", "dhcp"]) == 1
    assert "NOT APPLIED  networkctl failed" in capsys.readouterr().out
