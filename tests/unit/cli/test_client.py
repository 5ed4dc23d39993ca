"""AgentClient (orpheus.cli.client) against a small HTTP server on a Unix socket in tmp_path:
what it sends (changing requests always as JSON, the user for the audit log) and how it
reports the agent's refusals and absence."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from orpheus.cli.client import AgentClient, AgentError, api_path


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Agent:
    socket: Path
    seen: list[Seen] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"ok": true}'


def _handler(agent: Agent) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            agent.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            self.send_response(agent.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(agent.answer)))
            self.end_headers()
            self.wfile.write(agent.answer)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        def address_string(self) -> str:  # a Unix socket has no client address
            return "local"

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    state = Agent(tmp_path / "agent.sock")
    server = socketserver.UnixStreamServer(str(state.socket), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_a_read_sends_no_body_and_returns_the_json(agent: Agent) -> None:
    assert AgentClient(agent.socket).request("GET", "/api/v1/status") == {"ok": True}
    (seen,) = agent.seen
    assert (seen.method, seen.path, seen.body) == ("GET", "/api/v1/status", b"")
    assert "Content-Type" not in seen.headers
    # No user header: the agent names the user from the socket's peer credentials.
    assert "X-Orpheus-User" not in seen.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_every_changing_request_is_json_even_without_a_body(agent: Agent, method: str) -> None:
    AgentClient(agent.socket).request(method, "/api/v1/pbx/extension/101")
    (seen,) = agent.seen
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body) == {}


def test_a_body_is_sent_as_json(agent: Agent) -> None:
    body: dict[str, Any] = {"number": "101", "members": ["a", "b"]}
    AgentClient(agent.socket).request("POST", "/api/v1/pbx/queue", body)
    (seen,) = agent.seen
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body) == body


def test_the_agents_error_message_is_the_users(agent: Agent) -> None:
    agent.status, agent.answer = 409, b'{"error": "extension \'101\' already exists"}'
    with pytest.raises(AgentError, match=r"^extension '101' already exists$"):
        AgentClient(agent.socket).request("POST", "/api/v1/pbx/extension", {})


def test_an_error_without_a_message_names_the_status(agent: Agent) -> None:
    agent.status, agent.answer = 502, b""
    with pytest.raises(AgentError, match=r"^HTTP 502$"):
        AgentClient(agent.socket).request("GET", "/api/v1/status")


def test_an_empty_success_is_none(agent: Agent) -> None:
    agent.answer = b""
    assert AgentClient(agent.socket).request("DELETE", "/api/v1/jobs/1") is None


def test_no_agent_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="the agent is not running") as raised:
        AgentClient(tmp_path / "missing.sock").request("GET", "/api/v1/status")
    assert "missing.sock" in str(raised.value)


def test_a_path_segment_stays_one_segment() -> None:
    """A name with '/', '?' or '%' cannot name another route or add a query."""
    assert api_path("users", "pat/../levels") == "/api/v1/users/pat%2F..%2Flevels"
    assert api_path("users", "pat?x=1") == "/api/v1/users/pat%3Fx%3D1"
    assert api_path("tokens", "ci", user="a&b") == "/api/v1/tokens/ci?user=a%26b"
