"""Calls a WSGI application in-process, as a server would, for the API's unit tests."""

from __future__ import annotations

import base64
import io
import json
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: Any,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    content_type: str | None = "application/json",
    auth: tuple[str, str] | None = ("admin", "secret-pass"),
    query: str = "",
    environ: dict[str, Any] | None = None,
) -> Answer:
    raw = body or b""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "unit",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(raw)),
        **(environ or {}),
    }
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        env["HTTP_AUTHORIZATION"] = f"Basic {token}"
    started: list[tuple[str, list[tuple[str, str]]]] = []
    chunks = app(env, lambda status, headers, *_: started.append((status, headers)))
    data = b"".join(chunks)
    status, headers = started[0]
    return Answer(int(status.split()[0]), dict(headers), data)
