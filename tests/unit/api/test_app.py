"""The API's front door: declared routes, one error shape, 415, JSON 500 with a request id."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import Api, json_body
from orpheus.api.schema import obj, string
from tests.unit.api.wsgi_client import call

PASSWORD = "secret-pass"


class _Passwords:
    hash_file = Path("/nonexistent/admin-password.hash")  # the user store reads nothing there

    def must_change(self) -> bool:
        return False

    def check(self, user: str, password: str) -> bool:
        return user == "admin" and password == PASSWORD


@pytest.fixture
def api() -> Api:
    api = Api(_Passwords())  # type: ignore[arg-type]
    api.route(
        "POST",
        "/api/v1/thing/<key>",
        lambda key: {"key": key, "body": json_body()},
        params={"key": string(r"^[0-9]{2,6}$")},
        body=obj(
            {
                "count": {"type": "integer", "minimum": 0, "maximum": 10},
                "name": string(r"^[a-z]+$", max_length=8),
                "tags": {"type": "array", "items": string(max_length=4)},
            },
            ("count",),
        ),
        response=obj({"key": string(), "body": {"type": "object"}}),
        area="pbx",
    )
    api.route(
        "GET",
        "/api/v1/thing",
        lambda: {"since": "x"},
        query={"since": string(r"^[0-9]+$")},
        area="pbx",
    )
    api.route("DELETE", "/api/v1/thing/<key>", lambda key: {"deleted": key},
              params={"key": string(r"^[0-9]{2,6}$")}, area="pbx")  # fmt: skip
    api.route("GET", "/api/v1/boom", lambda: 1 / 0, area="pbx")
    api.route("GET", "/api/v1/open", lambda: {"ok": True}, auth=False, area="pbx")
    return api


def _post(api: Api, body: Any, **options: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(api.app, "POST", "/api/v1/thing/12", raw, **options)


def test_a_valid_request_reaches_the_handler_with_its_body(api: Api) -> None:
    answer = _post(api, {"count": 3, "name": "abc"})
    assert answer.status == 200
    assert answer.json() == {"key": "12", "body": {"count": 3, "name": "abc"}}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"count": "3"}, ("'count'", "integer")),
        ({"count": 11}, ("'count'",)),
        ({"count": 1, "extra": 1}, ("unknown field", "extra")),
        ({}, ("'count'", "required")),
        ({"count": 1, "name": "abc\n"}, ("'name'", "bad value")),
        ({"count": 1, "tags": [{"deep": [1]}]}, ("'tags.0'",)),
        ([1, 2], ("body", "object")),
        ("text", ("body",)),
        (None, ("body",)),
    ],
)
def test_bad_bodies_are_400_naming_the_field(api: Api, body: Any, words: tuple[str, ...]) -> None:
    answer = _post(api, body)
    assert answer.status == 400, answer.body
    message = answer.json()["error"]
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_deeply_nested_and_broken_json_are_400(api: Api) -> None:
    assert _post(api, b"[" * 100_000 + b"]" * 100_000).status == 400
    assert _post(api, b'{"count": ').status == 400
    assert _post(api, b"\xff\xfe").status == 400


def test_a_bad_path_or_query_parameter_is_400(api: Api) -> None:
    bad_key = call(api.app, "POST", "/api/v1/thing/1x", b'{"count": 1}')
    assert bad_key.status == 400 and "'key'" in bad_key.json()["error"]
    assert call(api.app, "GET", "/api/v1/thing", query="since=yesterday").status == 400
    assert call(api.app, "GET", "/api/v1/thing", query="other=1").status == 400
    assert call(api.app, "GET", "/api/v1/thing", query="since=12").status == 200


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", None],
)
def test_changing_requests_that_are_not_json_are_415(api: Api, content_type: str | None) -> None:
    answer = _post(api, b'{"count": 1}', content_type=content_type)
    assert answer.status == 415
    assert "application/json" in answer.json()["error"]
    deleting = call(api.app, "DELETE", "/api/v1/thing/12", content_type=content_type)
    assert deleting.status == 415


def test_json_with_a_charset_is_json(api: Api) -> None:
    assert _post(api, {"count": 1}, content_type="application/json; charset=utf-8").status == 200


def test_an_oversized_body_is_413(api: Api) -> None:
    answer = _post(api, b'{"count": 1, "name": "' + b"a" * (2 * 1024 * 1024) + b'"}')
    assert answer.status == 413


def test_authentication_comes_before_validation(api: Api) -> None:
    answer = _post(api, {"count": "bad"}, auth=("admin", "wrong"))
    assert answer.status == 401 and answer.json() == {"error": "authentication required"}
    assert call(api.app, "GET", "/api/v1/open", auth=None).status == 200


def test_an_unexpected_exception_is_json_500_with_the_request_id_in_the_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        answer = call(api.app, "GET", "/api/v1/boom")
    assert answer.status == 500
    request_id = answer.json()["request_id"]
    assert request_id in answer.json()["error"]
    assert answer.headers["X-Request-Id"] == request_id
    assert any(request_id in record.getMessage() and record.exc_info for record in caplog.records)


def test_an_unknown_route_is_json_404(api: Api) -> None:
    answer = call(api.app, "GET", "/api/v1/nothing-here")
    assert answer.status == 404 and "error" in answer.json()


def test_write_guards_refuse_changes_but_not_reads(api: Api) -> None:
    api.add_write_guard(lambda path: "read-only here" if path.startswith("/api/v1/thing") else None)
    assert _post(api, {"count": 1}).status == 409
    assert call(api.app, "GET", "/api/v1/thing").status == 200


def test_body_limit_is_per_route(api: Api) -> None:
    api.route("POST", "/api/v1/upload", lambda: {}, upload_limit=lambda: 5000, area="pbx")
    assert api.body_limit("POST", "/api/v1/upload", "application/octet-stream") == 5000
    assert api.body_limit("POST", "/api/v1/upload") == 1024 * 1024
    assert api.body_limit("POST", "/api/v1/thing/12") == 1024 * 1024
    assert api.body_limit("GET", "/no/such/route") == 1024 * 1024


def test_an_upload_route_takes_octet_stream_and_json(api: Api) -> None:
    api.route(
        "POST",
        "/api/v1/upload",
        lambda: {"got": "upload"},
        upload_limit=lambda: 5000,
        upload_query={"reboot": string(r"^(0|1)$")},
        body=obj({"path": string()}, ("path",)),
        area="pbx",
    )
    raw = call(api.app, "POST", "/api/v1/upload", b"\x00" * 10,
               content_type="application/octet-stream", query="reboot=1")  # fmt: skip
    assert raw.status == 200
    bad_query = call(api.app, "POST", "/api/v1/upload", b"\x00",
                     content_type="application/octet-stream", query="reboot=yes")  # fmt: skip
    assert bad_query.status == 400
    assert call(api.app, "POST", "/api/v1/upload", b'{"path": "/x"}').status == 200
    assert call(api.app, "POST", "/api/v1/upload", b"x", content_type="text/plain").status == 415
