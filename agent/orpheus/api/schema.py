"""Request schemas: what each route declares it takes, checked before its handler runs.

A route's body, query and path parameters are JSON Schemas (draft 2020-12); one declaration
both refuses bad input (400 with one line naming the field) and produces the route's part of
the OpenAPI description, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

Schema = dict[str, Any]
JSON = "application/json"
UPLOAD = "application/octet-stream"
CHANGING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# Every JSON body the agent takes is small; only an uploaded bundle is large.
DEFAULT_MAX_BODY = 1024 * 1024
# A path parameter in bottle's form: <kind>, <job_id:int>.
PATH_PARAMETER = re.compile(r"<([a-z_]+)(?::[^>]*)?>")
# json.loads recurses per level of nesting; deeper than this is refused, not a RecursionError.
MAX_NESTING = 32

# A schema's own words for a value it refuses (OpenAPI allows x- keywords; jsonschema skips them).
ERROR_KEYWORD = "x-error"
ERROR_SCHEMA: Schema = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "request_id": {"type": "string"}},
    "required": ["error"],
}
NO_BODY: Schema = {"type": "object", "additionalProperties": False}
ANY_OBJECT: Schema = {"type": "object"}


class RequestInvalid(ValueError):
    """A request that does not match its route's declaration; one line naming the field."""


@dataclass(frozen=True)
class Declaration:
    """What a route takes and answers; only what is declared here reaches its handler."""

    summary: str = ""
    body: Schema | None = None  # None: no body (an empty object is accepted)
    query: Mapping[str, Schema] = field(default_factory=dict)  # name -> schema of its value
    params: Mapping[str, Schema] = field(default_factory=dict)  # path parameter -> schema
    # Request headers the handler reads (described in OpenAPI; the handler checks them).
    headers: Mapping[str, Schema] = field(default_factory=dict)
    # Also takes application/octet-stream (the handler reads the stream) up to this many bytes,
    # asked at each request (an update bundle: the data partition's free space).
    upload_limit: Callable[[], int] | None = None
    response: Schema = field(default_factory=lambda: dict(ANY_OBJECT))
    response_type: str = JSON  # another media type: the handler answers an api.stream.Stream
    status: int = 200  # the success status
    max_body: int = DEFAULT_MAX_BODY
    upload_query: Mapping[str, Schema] = field(default_factory=dict)  # query of an upload


def string(
    pattern: str | None = None, *, max_length: int = 256, error: str | None = None, **extra: Any
) -> Schema:
    """A string schema; error, when given, is what a bad value is told (x-error)."""
    schema: Schema = {"type": "string", "maxLength": max_length, **extra}
    if pattern is not None:
        schema["pattern"] = pattern
    if error is not None:
        schema[ERROR_KEYWORD] = error
    return schema


def obj(properties: Mapping[str, Schema], required: tuple[str, ...] = (), **extra: Any) -> Schema:
    """A closed object: unknown fields are refused."""
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Schema
) -> Iterator[jsonschema.ValidationError]:
    """An anchored pattern must match the whole string, as in ECMA-262: Python's `$` also
    matches before a trailing newline, which would let "101\n" through."""
    if not isinstance(instance, str):
        return
    anchored = pattern.startswith("^") and pattern.endswith("$")
    found = re.fullmatch(pattern, instance) if anchored else re.search(pattern, instance)
    if found is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(Draft202012Validator, {"pattern": _pattern})


def _validator(schema: Schema) -> Any:
    # Not checked against the metaschema here: that costs ~40 ms a route (seconds at each
    # start under a slow CPU). tests/unit/api/test_declarations.py checks every route's.
    return _Validator(schema)


def check_declaration(declaration: Declaration) -> None:
    """Every schema of a declaration is a valid JSON Schema (SchemaError otherwise)."""
    for schema in (
        declaration.body or NO_BODY,
        obj(declaration.query),
        obj(declaration.upload_query),
        obj(declaration.params),
        declaration.response,
    ):
        _Validator.check_schema(schema)


@dataclass(frozen=True)
class RouteInfo:
    """A registered route, as the OpenAPI description shows it."""

    method: str
    path: str  # bottle's form, /api/v1/pbx/<kind>
    auth: bool
    declaration: Declaration
    area: str = ""  # users/levels.py: AREAS or OWN


@dataclass
class CompiledDeclaration:
    declaration: Declaration
    body: Any
    query: Any
    upload_query: Any
    params: Any

    @classmethod
    def compile(cls, declaration: Declaration) -> CompiledDeclaration:
        return cls(
            declaration,
            _validator(declaration.body or NO_BODY),
            _validator(obj(declaration.query)),
            _validator(obj(declaration.upload_query)),
            _validator(obj(declaration.params, tuple(declaration.params))),
        )


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestInvalid("request body is not UTF-8") from error
    if _nesting(text) > MAX_NESTING:
        raise RequestInvalid(f"request body nests deeper than {MAX_NESTING} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise RequestInvalid(f"request body is not valid JSON: {error}") from error


def _nesting(text: str) -> int:
    """Deepest bracket nesting outside strings, counted without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def check(validator: Any, value: Any, where: str) -> None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        raise RequestInvalid(describe(error, where))


def describe(error: jsonschema.ValidationError, where: str) -> str:
    """One line naming the field: `field 'trunk.port': 'x' is not of type 'integer'`."""
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        unknown = sorted(str(key) for key in error.instance if key not in allowed)
        named = f"{where} field '{path}'" if path else where
        return _one_line(f"{named}: unknown field(s): {', '.join(unknown)}")
    if error.validator == "required":
        return _one_line(f"{where} field '{_join(path, _missing(error))}' is required")
    subject = f"{where} field '{path}'" if path else where
    own = error.schema.get(ERROR_KEYWORD) if isinstance(error.schema, dict) else None
    if own and error.validator in ("pattern", "maxLength", "minLength", "type"):
        return _one_line(f"{subject}: {own}")
    return _one_line(f"{subject}: {_short(error)}")


def _missing(error: jsonschema.ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    required = error.validator_value if isinstance(error.validator_value, list) else []
    return next((str(name) for name in required if name not in instance), "?")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator == "pattern":
        return f"bad value {_clip(error.instance)}"
    if error.validator in ("type", "enum", "const"):
        expected = error.validator_value
        return f"{_clip(error.instance)} must be {_expected(error.validator, expected)}"
    return str(error.message)


def _expected(validator: str, expected: Any) -> str:
    if validator == "type":
        names = expected if isinstance(expected, list) else [expected]
        return " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in names)
    if validator == "const":
        return f"{expected!r}"
    return "one of " + ", ".join(repr(item) for item in expected)


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _clip(value: Any, limit: int = 60) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
