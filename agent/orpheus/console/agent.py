"""What the console menu asks the agent, over orpheusctl's client (cli/client.py) on the
root-only Unix socket."""

from __future__ import annotations

from typing import Any, Protocol

from orpheus.cli.client import AgentClient, AgentError


class ConsoleAgent(Protocol):
    """The agent as the menu sees it; every call raises AgentError when refused."""

    def log_in(self, password: str) -> dict[str, Any]: ...

    def get(self, area: str) -> dict[str, Any]: ...

    def set_network(self, settings: dict[str, Any]) -> dict[str, Any]: ...

    def reset_admin_password(self, password: str) -> dict[str, Any]: ...

    def reboot(self) -> dict[str, Any]: ...


# What the status screen reads: GET /api/v1/<area>.
AREAS = ("status", "identity", "network", "tls", "ha")


class SocketAgent:
    def __init__(self, client: AgentClient) -> None:
        self._client = client

    def log_in(self, password: str) -> dict[str, Any]:
        return self._post("/api/v1/console/session", {"password": password})

    def get(self, area: str) -> dict[str, Any]:
        if area not in AREAS:
            raise ValueError(f"the console does not read {area!r}")
        return _object(self._client.request("GET", f"/api/v1/{area}"))

    def set_network(self, settings: dict[str, Any]) -> dict[str, Any]:
        return _object(self._client.request("PUT", "/api/v1/network", settings))

    def reset_admin_password(self, password: str) -> dict[str, Any]:
        return self._post("/api/v1/console/admin-password", {"password": password})

    def reboot(self) -> dict[str, Any]:
        return self._post("/api/v1/console/reboot", {"confirm": True})

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _object(self._client.request("POST", path, body))


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise AgentError("the agent's answer is not an object")
    return answer
