"""What the capture routes take and answer (JSON Schemas for their declarations)."""

from __future__ import annotations

from typing import Any

from orpheus.api.schema import Schema, obj, string
from orpheus.capture.filters import KINDS
from orpheus.capture.limits import MAX_DURATION_SECONDS, MAX_SIZE_MB
from orpheus.capture.store import ID_PATTERN

CAPTURE_ID = string(ID_PATTERN, max_length=12, error="a capture id: 12 hex digits")
# A Call-ID is printable ASCII without spaces (RFC 3261's word); the dialog is looked up by it.
CALL_ID = string(r"^[!-~]{1,256}$", max_length=256, error="a Call-ID: printable, no spaces")
FILTER: Schema = obj(
    {
        "kind": {"enum": list(KINDS)},
        "value": {"type": ["string", "integer"], "maxLength": 64},
    },
    ("kind",),
)
START_REQUEST: Schema = obj(
    {
        "filter": FILTER,
        "duration_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_DURATION_SECONDS},
        "max_size_mb": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE_MB},
    }
)
_NUMBER_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
_CAPTURE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "filter": obj({"kind": {"enum": list(KINDS)}, "value": {"type": "string"}}, ("kind", "value")),
    "duration_seconds": {"type": "integer"},
    "max_size_mb": {"type": "integer"},
    "started_at": {"type": "number"},
    "finished_at": _NUMBER_OR_NULL,
    "state": {"enum": ["running", "finished", "failed"]},
    "message": {"type": "string"},
    "job_id": {"type": ["integer", "null"]},
    "size_bytes": {"type": "integer", "minimum": 0},
}
CAPTURE: Schema = obj(_CAPTURE_PROPERTIES, tuple(_CAPTURE_PROPERTIES))
_DIALOG_PROPERTIES: dict[str, Any] = {
    "call_id": {"type": "string"},
    "method": {"type": "string"},
    "from": {"type": "string"},
    "to": {"type": "string"},
    "start": {"type": "number"},
    "duration": {"type": "number"},
    "final_response": {"type": ["string", "null"]},
    "message_count": {"type": "integer"},
}
DIALOG: Schema = obj(_DIALOG_PROPERTIES, tuple(_DIALOG_PROPERTIES))
CAPTURE_WITH_DIALOGS: Schema = obj(
    {**_CAPTURE_PROPERTIES, "dialogs": {"type": "array", "items": DIALOG},
     "dialogs_dropped": {"type": "integer"}},
    (*_CAPTURE_PROPERTIES, "dialogs"),
)  # fmt: skip
CAPTURE_LIST: Schema = obj(
    {
        "captures": {"type": "array", "items": CAPTURE},
        "quota_mb": {"type": "integer"},
        "used_bytes": {"type": "integer"},
    },
    ("captures", "quota_mb", "used_bytes"),
)
DELETED: Schema = obj({"deleted": {"type": "string"}}, ("deleted",))
