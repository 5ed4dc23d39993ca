"""Port 80: what it still answers itself, and a redirect to HTTPS for everything else.

Port 80 answers GET /api/v1/health only (monitoring probes and keepalived's check keep
working without TLS); everything else, the API included, is sent to HTTPS with a 308, which
keeps the method and the body, so that no password or session crosses the network in clear
after the first request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
HEALTH_PATH = "/api/v1/health"
# A host name or an IPv4 or bracketed IPv6 literal, and an optional port: nothing else of a
# Host header is put in a Location.
_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,253})(?::[0-9]{1,5})?")
# What a path or a query may keep as it is in the Location (the query arrives still quoted).
_PATH_SAFE = "/-._~!$&()*+,;=:@"
_QUERY_SAFE = _PATH_SAFE + "%?"


def stays_on_http(path: str) -> bool:
    """True for what port 80 serves itself: the health probe only."""
    return path == HEALTH_PATH


def https_location(host_header: str, https_port: int, path: str, query: str) -> str | None:
    """The same resource on HTTPS; None when the Host header names no usable host."""
    found = _HOST.fullmatch(host_header.strip())
    if found is None:
        return None
    port = "" if https_port == 443 else f":{https_port}"
    # PATH_INFO is decoded (latin-1, per WSGI): quoted again, so nothing in it can end the
    # header or turn into another host.
    location = (
        f"https://{found['name']}{port}{quote(path.encode('latin-1'), safe='/-._~!$&()*+,;=:@')}"
    )
    if query:
        location += "?" + quote(query.encode("latin-1"), safe=_QUERY_SAFE)
    return location


def plain_http_app(app: WsgiApp, https_port: int) -> WsgiApp:
    """app for what stays on HTTP; a 308 to HTTPS for the rest."""

    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if stays_on_http(path):
            return app(environ, start_response)
        location = https_location(
            str(environ.get("HTTP_HOST", "")),
            https_port,
            path,
            str(environ.get("QUERY_STRING", "")),
        )
        if location is None:
            body = _error(f"no usable Host header: use https on port {https_port}")
            start_response("400 Bad Request", _headers(body))
            return [body]
        body = _error(f"moved to {location}")
        start_response("308 Permanent Redirect", [*_headers(body), ("Location", location)])
        return [body]

    return answer


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def _headers(body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
