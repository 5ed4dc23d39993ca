"""orpheusctl's entry point (orpheus.cli.main): the socket option, one-line errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli.client import AgentError
from orpheus.config import AgentConfig

from .fake_client import FakeAgentClient, install


def test_the_socket_defaults_to_the_agents_and_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORPHEUS_SOCKET", raising=False)
    assert cli_main.build_parser().parse_args(["status"]).socket == Path(AgentConfig().socket_path)
    monkeypatch.setenv("ORPHEUS_SOCKET", "/tmp/other.sock")
    assert cli_main.build_parser().parse_args(["status"]).socket == Path("/tmp/other.sock")
    args = cli_main.build_parser().parse_args(["--socket", "/run/x.sock", "status"])
    assert args.socket == Path("/run/x.sock")


def test_main_builds_its_client_on_the_given_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    sockets: list[Path] = []
    fake = FakeAgentClient({("DELETE", "/api/v1/pbx/trunk/t1"): {"applied": True}})

    def client(socket: Path) -> FakeAgentClient:
        sockets.append(socket)
        return fake

    monkeypatch.setattr(cli_main, "AgentClient", client)
    assert cli_main.main(["--socket", "/run/x.sock", "pbx", "delete", "trunk", "t1"]) == 0
    assert sockets == [Path("/run/x.sock")]


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli_main.main([])
    assert raised.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_every_area_registers_its_commands() -> None:
    parser = cli_main.build_parser()
    for command in ("status", "admin", "update", "jobs", "ha", "snmp", "license", "pbx", "audit"):
        with pytest.raises(SystemExit) as raised:
            parser.parse_args([command, "--help"])
        assert raised.value.code == 0, command


def test_an_agent_error_is_one_line_on_stderr_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/status"): AgentError("agent down")}))
    assert cli_main.main(["status"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "orpheusctl: agent down\n" and captured.out == ""
