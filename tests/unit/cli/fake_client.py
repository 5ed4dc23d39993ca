"""A stand-in for AgentClient: records each request and answers from a table (the real client
needs the agent's socket; tests/unit/cli/test_client.py covers it against a socket server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli.client import AgentError


class FakeAgentClient:
    def __init__(self, answers: dict[tuple[str, str], Any] | None = None) -> None:
        self.answers = answers or {}
        self.requests: list[tuple[str, str, Any]] = []
        self.socket_path = Path("/nonexistent/agent.sock")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        self.requests.append((method, path, body))
        answer = self.answers.get((method, path))
        if isinstance(answer, AgentError):
            raise answer
        return answer


def install(monkeypatch: pytest.MonkeyPatch, client: FakeAgentClient) -> FakeAgentClient:
    """orpheusctl's main() builds its client from --socket: it gets this one instead."""
    monkeypatch.setattr(cli_main, "AgentClient", lambda socket: client)
    return client
