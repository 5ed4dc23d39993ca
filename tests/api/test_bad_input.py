"""Bad input against the real agent: a wrong type for every field of every route's body, deep
nesting, bodies that are not JSON, unknown routes. Each is one line of JSON error (400, 404,
415), never a 500, and the unit's configuration stays byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from orpheus.cli.client import AgentClient
from testbed.pbx_unit import Unit
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

# A value of each JSON type; a field is sent every one of another type than it declares.
_VALUES: dict[str, Any] = {
    "string": "twelve\n",
    "integer": 12345,
    "number": 1.5,
    "boolean": True,
    "array": [1, "two", None],
    "object": {"not": "this"},
    "null": None,
}
_NESTED_GARBAGE = {"a": [{"b": [{"c": [None, 1.5, "\x00", {"d": []}]}]}]}


def _fingerprint(unit: Unit) -> dict[str, str]:
    """Every file of the unit's configuration (Asterisk's files, the agent's state)."""
    data = unit.sandbox.data
    files = sorted(
        path
        for folder in (data / "etc/asterisk", data / "orpheus")
        for path in folder.rglob("*")
        if path.is_file() and "spool" not in path.parts and not path.name.endswith("-wal")
    )
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def _types(schema: dict[str, Any]) -> set[str]:
    if "type" in schema:
        declared = schema["type"]
        return set(declared) if isinstance(declared, list) else {declared}
    found: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            found |= _types(option)
    if "const" in schema or "enum" in schema:
        found.add("string")  # a constant: any other type is wrong, a string is the likeliest
    return found


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    if "properties" in schema:
        return dict(schema["properties"])
    merged: dict[str, Any] = {}
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        merged.update(_properties(option))
    return merged


def _example(schema: dict[str, Any]) -> str:
    """A path parameter that passes its own schema, so that the body is what gets checked."""
    if "const" in schema:
        return str(schema["const"])
    pattern = schema.get("pattern", "")
    if schema.get("type") == "integer":
        return "1"
    candidates = ("abc", "1001", "internal")  # "internal": a storage target's name
    return next((c for c in candidates if re.search(pattern, c)), "abc")


def _cases(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(method, path, field, wrong value) for every field of every JSON body."""
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            path = template
            for parameter in operation["parameters"]:
                if parameter["in"] == "path":
                    value = _example(parameter["schema"])
                    path = path.replace("{" + parameter["name"] + "}", value)
            for name, field in _properties(body["schema"]).items():
                declared = _types(field)
                if "number" in declared:
                    declared.add("integer")
                for kind, wrong in _VALUES.items():
                    if kind not in declared:
                        yield method.upper(), path, name, wrong
                if "object" not in declared:
                    yield method.upper(), path, name, _NESTED_GARBAGE


def _refused(answer: tuple[int, Any], *statuses: int) -> str:
    status, body = answer
    assert status in statuses, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str), body
    message: str = body["error"]
    assert message and "\n" not in message
    return message


def test_a_wrong_type_for_every_field_of_every_route_is_400(lite_unit: Unit) -> None:
    spec = AgentClient(lite_unit.agent.socket).request("GET", "/api/v1/openapi.json")
    before = _fingerprint(lite_unit)
    cases = list(_cases(spec))
    assert len(cases) > 100  # every declared field of every body, not a sample
    for method, path, name, wrong in cases:
        raw = json.dumps({name: wrong}).encode()
        answer = local_request(lite_unit, method, path, raw)
        assert answer[0] == 400, (method, path, name, wrong, answer)
        message = _refused(answer, 400)
        assert "body" in message, (method, path, name, message)
    assert _fingerprint(lite_unit) == before


def test_nesting_non_json_bodies_and_unknown_routes(lite_unit: Unit) -> None:
    before = _fingerprint(lite_unit)
    route = "/api/v1/pbx/extension"
    deep = b'{"number": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert "deeper" in _refused(local_request(lite_unit, "POST", route, deep), 400)
    broken = b'{"number": "101", "password": '
    assert "not valid JSON" in _refused(local_request(lite_unit, "POST", route, broken), 400)
    form = b"number=101&password=secret-pass-1"
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):
        answer = local_request(lite_unit, "POST", route, form, content_type)
        assert "application/json" in _refused(answer, 415)
    assert _refused(local_request(lite_unit, "GET", "/api/v1/no-such-route"), 404)
    assert _refused(local_request(lite_unit, "DELETE", "/api/v1/pbx/nothing/1", b"{}"), 404)
    assert _fingerprint(lite_unit) == before


def test_a_good_change_still_goes_through_afterwards(lite_unit: Unit) -> None:
    local_request(lite_unit, "DELETE", "/api/v1/pbx/extension/1901", b"{}")  # if it exists
    body = json.dumps({"number": "1901", "password": "Good-pass-1901"}).encode()
    status, answer = local_request(lite_unit, "POST", "/api/v1/pbx/extension", body)
    assert status == 200, answer
    assert answer["record"]["number"] == "1901"
    assert "1901/" in lite_unit.cli("pjsip show endpoints")
