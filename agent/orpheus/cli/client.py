"""HTTP to the agent over its root-only Unix socket."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode


def api_path(*segments: str, **query: str) -> str:
    """/api/v1/ and the segments, each quoted, so a name with '/', '?' or '%' stays one path
    segment (and the agent's full-match check refuses it) instead of naming another route."""
    path = "/api/v1/" + "/".join(quote(segment, safe="") for segment in segments)
    return f"{path}?{urlencode(query)}" if query else path


class AgentError(RuntimeError):
    """The agent refused a request or could not be reached; the message is for the user.
    status: the HTTP status of a refusal (None when the agent was not reached)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._path))


class AgentClient:
    def __init__(self, socket_path: Path, timeout: float = 30.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        connection = _UnixConnection(self.socket_path, self.timeout)
        changing = method in ("POST", "PUT", "DELETE", "PATCH")
        if body is None and changing:
            body = {}  # changing requests are always JSON (the agent answers others 415)
        payload = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (FileNotFoundError, ConnectionRefusedError) as error:
            raise AgentError(
                f"the agent is not running ({self.socket_path}: {error.strerror})"
            ) from error
        except OSError as error:
            raise AgentError(f"cannot talk to the agent: {error}") from error
        finally:
            connection.close()
        data = json.loads(raw or b"null")
        if response.status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise AgentError(message or f"HTTP {response.status}", response.status)
        return data


def download(client: AgentClient, path: str, headers: dict[str, str], out: BinaryIO) -> int:
    """GET path, its body copied to out as it arrives (not JSON: a recording); the bytes."""
    connection = _UnixConnection(client.socket_path, client.timeout)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        if response.status >= 400:
            data = json.loads(response.read() or b"null")
            message = data.get("error") if isinstance(data, dict) else None
            raise AgentError(message or f"HTTP {response.status}")
        expected, written = int(response.getheader("Content-Length") or -1), 0
        while chunk := response.read(64 * 1024):
            out.write(chunk)
            written += len(chunk)
    except (FileNotFoundError, ConnectionRefusedError) as error:
        raise AgentError(f"the agent is not running ({client.socket_path})") from error
    except OSError as error:
        raise AgentError(f"cannot talk to the agent: {error}") from error
    finally:
        connection.close()
    if expected >= 0 and written != expected:
        raise AgentError(f"download cut after {written} of {expected} bytes")
    return written
