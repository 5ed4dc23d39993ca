"""What the update routes take and answer."""

from __future__ import annotations

from orpheus.api.schema import Schema, obj, string
from orpheus.jobs.schemas import JOB

__all__ = [
    "INSTALL_REQUEST",
    "JOB",
    "ROLLBACK_ANSWER",
    "ROLLBACK_REQUEST",
    "UPDATE_STATUS",
    "UPLOAD_QUERY",
]

_FLAG = string(r"^(0|1|true|false)$", max_length=5)
_SOURCE = string(r"^[^\x00-\x1f\x7f]+$", max_length=2048)
_IDLE_TIMEOUT = {"type": "number", "minimum": 0, "maximum": 7 * 24 * 3600}

INSTALL_REQUEST: Schema = {
    **obj(
        {
            # Printable ASCII: a URL's other characters travel percent-encoded.
            "url": string(r"^https?://[\x21-\x7e]+$", max_length=2048),
            "path": _SOURCE,
            "reboot": {"type": "boolean"},
            "force": {"type": "boolean"},
            "idle_timeout": _IDLE_TIMEOUT,
        }
    ),
    "oneOf": [{"required": ["url"]}, {"required": ["path"]}],
}
UPLOAD_QUERY = {
    "reboot": _FLAG,
    "force": _FLAG,
    "idle_timeout": string(r"^[0-9]{1,6}(\.[0-9]{1,3})?$", max_length=10),
}
ROLLBACK_REQUEST: Schema = obj({"reboot": {"type": "boolean"}})
UPDATE_STATUS: Schema = {
    "type": "object",
    "required": ["booted", "running_version", "slots", "job"],
    "properties": {
        "booted": {"type": "string"},
        "running_version": {"type": "string"},
        "slots": {"type": "array", "items": {"type": "object"}},
        "job": {"anyOf": [JOB, {"type": "null"}]},
    },
}
ROLLBACK_ANSWER: Schema = obj(
    {
        "slot": {"type": "string"},
        "version": {"type": ["string", "null"]},
        "message": {"type": "string"},
    },
    ("slot", "message"),
)
