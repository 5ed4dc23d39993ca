"""JSON Schemas of /api/v1/ami/users."""

from __future__ import annotations

from orpheus.ami_users.accounts import (
    MAX_NETWORKS,
    NAME,
    NETWORK,
    READ_CLASSES,
    WRITE_CLASSES,
)
from orpheus.api.schema import Schema, obj, string

NAME_PARAM: Schema = string(
    NAME.pattern, max_length=32, error="a lower-case letter, then letters, digits, '-' or '_'"
)


def _classes(allowed: tuple[str, ...]) -> Schema:
    return {"type": "array", "items": {"enum": list(allowed)}, "maxItems": len(allowed)}


CREATE = obj(
    {
        "name": NAME_PARAM,
        "permit": {
            "type": "array",
            "items": string(NETWORK.pattern, max_length=18, error="an IPv4 address or network"),
            "minItems": 1,
            "maxItems": MAX_NETWORKS,
        },
        "read": _classes(READ_CLASSES),
        "write": _classes(WRITE_CLASSES),
    },
    ("name", "permit", "read", "write"),
)
_STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
USER = obj(
    {"name": {"type": "string"}, "permit": _STRINGS, "read": _STRINGS, "write": _STRINGS},
    ("name", "permit", "read", "write"),
)
_APPLIED = {"applied": {"type": "boolean"}, "detail": {"type": "string"}}
USERS = obj(
    {"users": {"type": "array", "items": USER}, "listening": {"type": "string"}},
    ("users", "listening"),
)
CREATED = obj(
    {"user": USER, "secret": {"type": "string"}, "listening": {"type": "string"}, **_APPLIED},
    ("user", "secret", "listening", "applied", "detail"),
)
DELETED = obj(
    {"deleted": {"type": "string"}, "listening": {"type": "string"}, **_APPLIED},
    ("deleted", "listening", "applied", "detail"),
)
