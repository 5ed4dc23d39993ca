"""HTTPS requests to a unit's agent over TCP from inside its network namespace, each from a
loopback source address of the test's choosing (so the log-in limits one test trips touch no
other), through one Python process there, so that requests follow each other quickly. The
unit's certificate is self-signed and not checked here (tests/api/test_tls.py pins it)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from testbed.pbx_unit import HTTPS_PORT

# Reads [source, method, path, headers, body] lines, answers [status, headers, body].
_CLIENT = rf"""
import http.client, json, ssl, sys
context = ssl._create_unverified_context()
for line in sys.stdin:
    source, method, path, headers, body = json.loads(line)
    connection = http.client.HTTPSConnection("127.0.0.1", {HTTPS_PORT}, timeout=60,
                                             source_address=(source, 0), context=context)
    data = None if body is None else json.dumps(body)
    if data is not None:
        headers = {{"Content-Type": "application/json", **headers}}
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    print(json.dumps([response.status, dict(response.getheaders()),
                      json.loads(raw) if raw else None]), flush=True)
    connection.close()
"""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    def cookie(self) -> str:
        """The session id the answer's Set-Cookie carries."""
        header = self.headers["Set-Cookie"]
        return header.split(";")[0].split("=", 1)[1]


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class NetnsClient:
    def __init__(self, netns: str) -> None:
        self._process = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-c", _CLIENT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def send(
        self, method: str, path: str, body: Any = None, *, source: str,
        headers: dict[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        if not (self._process.stdin and self._process.stdout):
            raise RuntimeError("the client's process has no pipes")
        line = json.dumps([source, method, path, headers or {}, body])
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        return Answer(*json.loads(self._process.stdout.readline()))

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        self._process.wait(10)
