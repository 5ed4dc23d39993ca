"""One real unit for the API tests: the agent with its real features and the root filesystem's
Asterisk, in a network namespace of its own with nothing but loopback."""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.pbx_unit import Unit, running_unit


@pytest.fixture(scope="package")
def lite_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("api-unit")
    netns = f"orpheus-api-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="lite", serial="ORP-API-0001") as unit:
        yield unit


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=60)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._path))


def local_request(
    unit: Unit, method: str, path: str, body: bytes | None = None,
    content_type: str | None = "application/json", headers: dict[str, str] | None = None,
) -> tuple[int, Any]:  # fmt: skip
    """A raw request on the agent's Unix socket (orpheusctl's channel: no password needed)."""
    connection = _UnixConnection(unit.agent.socket)
    headers = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return response.status, json.loads(raw) if raw else None
