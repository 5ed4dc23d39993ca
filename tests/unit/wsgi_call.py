"""Calling the agent's real bottle application as a WSGI server would, without a socket."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any
from wsgiref.util import setup_testing_defaults

from orpheus.api.app import LOCAL_ENVIRON_KEY
from orpheus.api.upload import Readable


@dataclass
class Answer:
    status: int
    body: Any


def call(
    app: Any,
    method: str,
    path: str,
    *,
    body: Readable | bytes = b"",
    length: int | None = None,
    content_type: str = "application/json",
    query: str = "",
    auth: tuple[str, str] | None = None,
) -> Answer:
    """One request; local (as over the Unix socket, no password) unless auth is given.
    length: the Content-Length announced (the body's own length when not given)."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    if isinstance(body, bytes):
        raw: Readable = io.BytesIO(body)
        length = len(body) if length is None else length
    else:
        raw = body
    if length is None:
        raise ValueError("give the Content-Length of a streamed body")
    environ.update(
        {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(length),
            "wsgi.input": raw,
        }
    )
    if auth is None:
        environ[LOCAL_ENVIRON_KEY] = True
    else:
        token = base64.b64encode(":".join(auth).encode()).decode()
        environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    data = b"".join(app(environ, start_response))
    return Answer(int(statuses[0].split()[0]), json.loads(data) if data else None)
