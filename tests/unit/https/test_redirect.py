"""https/redirect.py: what port 80 keeps, and the 308 to HTTPS for the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orpheus.https.redirect import https_location, plain_http_app, stays_on_http


def test_the_health_probe_stays_and_everything_else_goes() -> None:
    assert stays_on_http("/api/v1/health")
    for path in (
        "/", "/login", "/static/app.css", "/api", "/apiv1", "/API/v1/health", "/api/v1/status",
        "/api/v1/session", "/api/v1/health/", "/api/v1/health/x",
    ):  # fmt: skip
        assert not stays_on_http(path), path


@pytest.mark.parametrize(
    ("host", "port", "path", "query", "expected"),
    [
        ("192.0.2.1", 443, "/", "", "https://192.0.2.1/"),
        ("192.0.2.1:80", 443, "/login", "", "https://192.0.2.1/login"),
        ("pbx.example.com:8080", 8443, "/a b", "x=1&y=%2F", "https://pbx.example.com:8443/a%20b?x=1&y=%2F"),
        ("[2001:db8::1]:80", 443, "/", "", "https://[2001:db8::1]/"),
        ("h", 443, "/100%", "", "https://h/100%25"),
        ("h", 443, "/x\r\nSet-Cookie: a=b", "", "https://h/x%0D%0ASet-Cookie:%20a=b"),
        ("h", 443, "//evil.example/", "", "https://h//evil.example/"),
    ],
)  # fmt: skip
def test_the_location_is_the_same_resource_on_https(
    host: str, port: int, path: str, query: str, expected: str
) -> None:
    assert https_location(host, port, path, query) == expected


@pytest.mark.parametrize(
    "host", ["", "evil.example/path", "a b", "h\r\nX: y", "user@h", "[::1", "h:port"]
)
def test_a_host_header_that_names_no_host_gives_none(host: str) -> None:
    assert https_location(host, 443, "/", "") is None


def _call(app: Any, path: str, host: str | None = "192.0.2.1") -> tuple[str, dict[str, str], Any]:
    environ = {"PATH_INFO": path, "QUERY_STRING": "", "REQUEST_METHOD": "GET"}
    if host is not None:
        environ["HTTP_HOST"] = host
    answers: list[tuple[str, dict[str, str]]] = []
    body = b"".join(app(environ, lambda status, headers: answers.append((status, dict(headers)))))
    status, headers = answers[0]
    return status, headers, json.loads(body)


def test_plain_http_app_passes_the_health_probe_and_redirects_the_rest() -> None:
    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"inner": true}']

    app = plain_http_app(inner, 8443)
    assert _call(app, "/api/v1/health")[::2] == ("200 OK", {"inner": True})
    status, headers, body = _call(app, "/")
    assert status == "308 Permanent Redirect"
    assert headers["Location"] == "https://192.0.2.1:8443/"
    assert body == {"error": "moved to https://192.0.2.1:8443/"}
    status, headers, _ = _call(app, "/api/v1/status")
    assert status == "308 Permanent Redirect"
    assert headers["Location"] == "https://192.0.2.1:8443/api/v1/status"
    status, _, body = _call(app, "/", host=None)
    assert status == "400 Bad Request"
    assert body == {"error": "no usable Host header: use https on port 8443"}
