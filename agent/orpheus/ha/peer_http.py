"""HTTP/1.1 for the pair channel's server, read under deadlines: one request at a time, bodies
by Content-Length only, JSON answers. Header lines are parsed by http.client (as
http.server did before)."""

from __future__ import annotations

import asyncio
import http.client
import io
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_HEADER_BYTES = 16 * 1024
# From a request's first byte to the end of its header.
HEADER_TIMEOUT_SECONDS = 10.0
# A body must arrive at this average rate (after a grace): a trickling client is dropped.
BODY_GRACE_SECONDS = 10.0
MIN_BODY_BYTES_PER_SECOND = 64 * 1024


class HttpRefusal(Exception):
    """A request answered with status and message, after which the connection is closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class PeerRequest:
    method: str
    path: str
    content_length: int
    keep_alive: bool

    @property
    def line(self) -> tuple[str, str]:
        return self.method, self.path


async def read_request(reader: asyncio.StreamReader, idle_timeout: float) -> PeerRequest | None:
    """The next request's header; None when the client closed or stayed silent."""
    try:
        first = await asyncio.wait_for(reader.readexactly(1), idle_timeout)
    except (TimeoutError, asyncio.IncompleteReadError):
        return None
    try:
        rest = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_TIMEOUT_SECONDS)
    except asyncio.LimitOverrunError as error:
        raise HttpRefusal(431, "request header too large") from error
    except asyncio.IncompleteReadError:
        return None
    header = first + rest
    if len(header) > MAX_HEADER_BYTES:
        raise HttpRefusal(431, "request header too large")
    return parse_header(header)


def parse_header(header: bytes) -> PeerRequest:
    line, _, fields = header.partition(b"\r\n")
    parts = line.decode("latin-1").split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
        raise HttpRefusal(400, "malformed request line")
    method, target, version = parts
    try:
        headers = http.client.parse_headers(io.BytesIO(fields))
    except http.client.HTTPException as error:
        raise HttpRefusal(400, f"malformed header: {error}") from error
    if headers.get("Transfer-Encoding"):
        raise HttpRefusal(501, "only bodies with a Content-Length are taken here")
    lengths = headers.get_all("Content-Length") or ["0"]
    if len(lengths) != 1 or not lengths[0].strip().isdigit():
        raise HttpRefusal(400, "malformed Content-Length")
    connection = (headers.get("Connection") or "").lower()
    keep_alive = version == "HTTP/1.1" and connection != "close"
    path = target.split("?", 1)[0]
    return PeerRequest(method, path, int(lengths[0]), keep_alive)


async def read_body(reader: asyncio.StreamReader, length: int) -> bytes:
    if length == 0:
        return b""
    deadline = BODY_GRACE_SECONDS + length / MIN_BODY_BYTES_PER_SECOND
    return await asyncio.wait_for(reader.readexactly(length), deadline)


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        raise HttpRefusal(400, f"body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise HttpRefusal(400, "body must be a JSON object")
    return body


def encode_response(status: int, data: Any, keep_alive: bool) -> bytes:
    raw = json.dumps(data).encode()
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(raw)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + raw
