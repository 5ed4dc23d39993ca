"""The OpenAPI 3.1 description of the agent's API, made from the routes' own declarations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from orpheus import __version__
from orpheus.api.schema import (
    CHANGING_METHODS,
    ERROR_SCHEMA,
    JSON,
    NO_BODY,
    PATH_PARAMETER,
    UPLOAD,
    RouteInfo,
    Schema,
)
from orpheus.users.levels import OWN
from orpheus.users.sessions import COOKIE

# Errors any route may answer, besides its own success.
_ERRORS = {
    "400": "the request does not match the route's declaration, or was refused",
    "403": "the user's level may not read or change the route's area, a session's changing "
    "request without its CSRF token or from another origin, or a password the route needs "
    "besides the login (the privacy password) wrong or missing, or a route only the unit's "
    "own console may call (/api/v1/console/, /api/v1/factory/reopen) asked over TCP",
    "404": "no such resource",
    "409": "refused in the unit's present state",
    "413": "request body too large",
    "415": "changing requests must be application/json",
    "422": "a stored file fails its authentication (a recording changed or cut on disk)",
    "500": "unexpected failure; the log has the request id",
    "503": "a service the route needs does not answer, or every password check slot is busy",
    "507": "the data partition is full; nothing was changed",
}


def openapi_path(path: str) -> str:
    """/api/v1/pbx/<kind> -> /api/v1/pbx/{kind}"""
    return PATH_PARAMETER.sub(r"{\1}", path)


def describe(routes: Iterable[RouteInfo]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operations = paths.setdefault(openapi_path(route.path), {})
        operations[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Orpheus agent API", "version": __version__},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "admin": {"type": "http", "scheme": "basic"},
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": COOKIE},
            },
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


def _operation(route: RouteInfo) -> dict[str, Any]:
    declaration = route.declaration
    operation: dict[str, Any] = {
        "summary": declaration.summary,
        "operationId": f"{route.method.lower()}{_operation_suffix(route.path)}",
        "parameters": _parameters(declaration.params, "path", required=True)
        + _parameters(declaration.query, "query", required=False)
        + _parameters(declaration.headers, "header", required=False),
        "responses": _responses(route),
        "security": [{"admin": []}, {"token": []}, {"session": []}] if route.auth else [],
        "x-area": route.area,
    }
    if route.method in CHANGING_METHODS:
        content: dict[str, Any] = {JSON: {"schema": declaration.body or NO_BODY}}
        if declaration.upload_limit is not None:
            content[UPLOAD] = {"schema": {"type": "string", "format": "binary"}}
        operation["requestBody"] = {"required": declaration.body is not None, "content": content}
    return operation


def _operation_suffix(path: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", openapi_path(path).removeprefix("/api/v1"))
    return "".join(word.capitalize() for word in words if word)


def _parameters(schemas: Mapping[str, Schema], where: str, *, required: bool) -> list[Any]:
    return [
        {"name": name, "in": where, "required": required, "schema": schema}
        for name, schema in schemas.items()
    ]


def _responses(route: RouteInfo) -> dict[str, Any]:
    declaration = route.declaration
    error = {"$ref": "#/components/schemas/Error"}
    responses: dict[str, Any] = {
        str(declaration.status): {
            "description": "success",
            "content": {declaration.response_type: {"schema": declaration.response}},
        }
    }
    for code, text in _ERRORS.items():
        responses[code] = {"description": text, "content": {JSON: {"schema": error}}}
    if route.auth or route.area == OWN:  # OWN without auth: the log-in itself
        content = {JSON: {"schema": error}}
        responses["401"] = {"description": "authentication required", "content": content}
        responses["429"] = {
            "description": "too many wrong passwords from this address or for this user "
            "(see Retry-After)",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": content,
        }
    return responses
