"""GET /api/v1/openapi.json: OpenAPI 3.1 made from the routes' declarations."""

from __future__ import annotations

from pathlib import Path

from orpheus.api.app import Api
from orpheus.api.openapi import openapi_path
from orpheus.api.schema import obj, string
from tests.unit.api.wsgi_client import call


class _Passwords:
    hash_file = Path("/nonexistent/admin-password.hash")  # the user store reads nothing there

    def must_change(self) -> bool:
        return False

    def check(self, user: str, password: str) -> bool:
        return False


def test_the_description_follows_the_declarations_and_needs_no_login() -> None:
    api = Api(_Passwords())  # type: ignore[arg-type]
    body = obj({"count": {"type": "integer"}}, ("count",))
    api.route("PUT", "/api/v1/thing/<key>", lambda key: {}, params={"key": string("^[0-9]+$")},
              body=body, summary="Change a thing", area="pbx")  # fmt: skip
    api.route("GET", "/api/v1/open", lambda: {}, auth=False, area="pbx")
    answer = call(api.app, "GET", "/api/v1/openapi.json", auth=None)
    assert answer.status == 200
    spec = answer.json()
    assert spec["openapi"].startswith("3.1")
    put = spec["paths"]["/api/v1/thing/{key}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == body
    assert put["parameters"][0] == {
        "name": "key", "in": "path", "required": True, "schema": {"type": "string",
        "maxLength": 256, "pattern": "^[0-9]+$"},
    }  # fmt: skip
    assert put["security"] == [{"admin": []}, {"token": []}, {"session": []}]
    assert put["x-area"] == "pbx"
    assert spec["paths"]["/api/v1/open"]["get"]["security"] == []
    assert "401" in put["responses"] and "415" in put["responses"]
    assert "Retry-After" in put["responses"]["429"]["headers"]


def test_openapi_path() -> None:
    assert openapi_path("/api/v1/pbx/<kind>/<key>") == "/api/v1/pbx/{kind}/{key}"
    assert openapi_path("/api/v1/jobs/<id:int>") == "/api/v1/jobs/{id}"
