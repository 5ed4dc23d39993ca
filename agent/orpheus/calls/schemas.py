"""JSON Schemas of /api/v1/calls."""

from __future__ import annotations

from orpheus.api.schema import Schema, obj, string
from orpheus.calls.dialing import CALL_ID, CALLER_NAME, CALLER_NUMBER, DESTINATION, EXTENSION

START = obj(
    {
        "from": string(EXTENSION.pattern, max_length=6, error="an extension's number"),
        "to": string(
            DESTINATION.pattern, max_length=33, error="digits, * and # (a leading + allowed)"
        ),
        "caller_id": obj(
            {
                "name": string(CALLER_NAME.pattern, max_length=64),
                "number": string(CALLER_NUMBER.pattern, max_length=33),
            }
        ),
    },
    ("from", "to"),
)
CALL_ID_PARAM: Schema = string(CALL_ID.pattern, max_length=32, error="not a call id")
_ROUTE = obj(
    {
        "kind": {"enum": ["extension", "queue", "ivr", "outbound"]},
        "name": {"type": "string"},
        "trunks": {"type": "array", "items": {"type": "string"}},
    },
    ("kind", "name", "trunks"),
)
STARTED = obj(
    {
        "id": {"type": "string"},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "caller_id": {"type": "string"},
        "route": _ROUTE,
        "counted": {"type": "boolean"},
    },
    ("id", "from", "to", "caller_id", "route", "counted"),
)
_PARTY = obj({"number": {"type": "string"}, "name": {"type": "string"}}, ("number", "name"))
_CHANNEL = obj(
    {
        "name": {"type": "string"},
        "endpoint": {"type": ["string", "null"]},
        "state": {"type": "string"},
        "caller": _PARTY,
        "connected": _PARTY,
        "duration_seconds": {"type": "integer"},
    },
    ("name", "endpoint", "state", "caller", "connected", "duration_seconds"),
)
_CALL = obj(
    {
        "id": {"type": "string"},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "state": {"enum": ["ringing", "up"]},
        "duration_seconds": {"type": "integer"},
        "trunk": {"type": ["string", "null"]},
        "channels": {"type": "array", "items": _CHANNEL},
    },
    ("id", "from", "to", "state", "duration_seconds", "trunk", "channels"),
)
CALLS = obj({"calls": {"type": "array", "items": _CALL}}, ("calls",))
HUNG_UP = obj(
    {"id": {"type": "string"}, "hung_up": {"type": "array", "items": {"type": "string"}}},
    ("id", "hung_up"),
)
