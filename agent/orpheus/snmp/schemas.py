"""What PUT /api/v1/snmp takes and GET /api/v1/snmp answers (values checked in settings.py)."""

from __future__ import annotations

from orpheus.api.schema import Schema, obj, string
from orpheus.snmp.settings import HOST, NAME, SECRET

_SECRET = string(
    SECRET.pattern, max_length=64, error="must be at least 8 characters long, printable, no spaces"
)


def _name(what: str) -> Schema:
    return string(NAME.pattern, max_length=32, error=f"invalid {what}: letters, digits and -_.")


_SOURCE = string(r"^[0-9A-Fa-f.:/]{1,64}$", max_length=64)
_COMMUNITY = obj(
    {
        "name": _name("community name"),
        "sources": {"type": "array", "items": _SOURCE, "minItems": 1, "maxItems": 32},
    },
    ("name", "sources"),
)
_KEPT_SECRET = {"anyOf": [_SECRET, {"type": "null"}]}  # null or the mask: keep the stored one
_USER = obj(
    {"name": _name("v3 user name"), "auth_password": _KEPT_SECRET, "priv_password": _KEPT_SECRET},
    ("name",),
)
_RECEIVER = obj(
    {
        "host": string(HOST.pattern, max_length=253),
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "community": {"anyOf": [_name("receiver community"), {"type": "null"}]},
        "user": {"anyOf": [_name("receiver user"), {"type": "null"}]},
    },
    ("host",),
)
_TEXT = string(
    r"^[^\x00-\x1f\x7f\"\\\[\];#]{0,255}$",
    max_length=255,
    error="printable text of at most 255 characters, without quotes, backslashes, [, ], ; or #",
)

SNMP_CHANGES: Schema = obj(
    {
        "contact": _TEXT,
        "location": _TEXT,
        "communities": {"type": "array", "items": _COMMUNITY, "maxItems": 32},
        "users": {"type": "array", "items": _USER, "maxItems": 32},
        "receivers": {"type": "array", "items": _RECEIVER, "maxItems": 32},
        "storage_full_percent": {"type": "integer", "minimum": 1, "maximum": 100},
        "license_warning_days": {"type": "integer", "minimum": 1, "maximum": 365},
    }
)
SNMP_ANSWER: Schema = {
    "type": "object",
    "required": ["settings", "agentx_connected", "objects", "areas"],
    "properties": {
        "settings": {"type": "object"},
        "agentx_connected": {"type": "boolean"},
        "objects": {"type": "integer"},
        "areas": {"type": "array", "items": {"type": "string"}},
        "warning": {"type": "string"},
    },
}
