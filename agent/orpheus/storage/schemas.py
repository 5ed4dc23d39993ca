"""What the storage routes take and answer."""

from __future__ import annotations

from orpheus.api.schema import Schema, obj, string
from orpheus.storage.registry import TARGET_NAME_PATTERN
from orpheus.storage.targets import TARGET_STATES

TARGET_NAME = string(
    f"^(?:{TARGET_NAME_PATTERN})$", max_length=44, error="a storage target: internal or usb-<uuid>"
)
_COUNT = {"type": ["integer", "null"], "minimum": 0}
TARGET: Schema = obj(
    {
        "name": {"type": "string"},
        "kind": {"enum": ["internal", "usb"]},
        "state": {"enum": list(TARGET_STATES)},
        "message": {"type": "string"},
        "path": {"type": "string"},
        "fs_type": {"type": "string"},
        "device": {"type": "string"},
        "label": {"type": "string"},
        "size_bytes": _COUNT,
        "free_bytes": _COUNT,
        "recordings": {"type": "integer", "minimum": 0},
        "recording_bytes": {"type": "integer", "minimum": 0},
        "default": {"type": "boolean"},
    },
    ("name", "kind", "state", "size_bytes", "free_bytes", "recordings", "recording_bytes"),
)
STORAGE: Schema = obj(
    {"default": {"type": "string"}, "targets": {"type": "array", "items": TARGET}},
    ("default", "targets"),
)
DEFAULT_REQUEST: Schema = obj({"target": TARGET_NAME}, ("target",))
DEFAULT_ANSWER: Schema = obj({"default": {"type": "string"}}, ("default",))
EJECT_ANSWER: Schema = obj({"ejected": {"type": "string"}}, ("ejected",))
