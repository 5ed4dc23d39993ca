"""What the storage routes take and answer."""

from __future__ import annotations

from orpheus.api.schema import ERROR_KEYWORD, Schema, obj, string
from orpheus.recordings.selection import MAX_AGE_DAYS
from orpheus.storage.check import CHECK_OUTCOMES
from orpheus.storage.nas import (
    DOMAIN_PATTERN,
    EXPORT_PATTERN,
    HOST_PATTERN,
    MAX_PASSWORD,
    MAX_PORT,
    NAS_KINDS,
    NAS_NAME_PATTERN,
    SHARE_PATTERN,
    USERNAME_PATTERN,
)
from orpheus.storage.registry import TARGET_NAME_PATTERN
from orpheus.storage.retention_limits import MAX_BYTES, MIN_BYTES
from orpheus.storage.targets import TARGET_STATES

TARGET_NAME = string(
    f"^(?:{TARGET_NAME_PATTERN})$", max_length=44,
    error="a storage target: internal, usb-<uuid> or nas-<word>",
)  # fmt: skip
_COUNT = {"type": ["integer", "null"], "minimum": 0}
_MAX_AGE_DAYS = {
    "type": ["integer", "null"], "minimum": 1, "maximum": MAX_AGE_DAYS,
    ERROR_KEYWORD: f"days: 1 to {MAX_AGE_DAYS}, or null for no age limit",
}  # fmt: skip
_MAX_BYTES = {
    "type": ["integer", "null"], "minimum": MIN_BYTES, "maximum": MAX_BYTES,
    ERROR_KEYWORD: f"bytes: {MIN_BYTES} to {MAX_BYTES}, or null for no size limit",
}  # fmt: skip
RETENTION: Schema = obj(
    {"max_age_days": _MAX_AGE_DAYS, "max_bytes": _MAX_BYTES}, ("max_age_days", "max_bytes")
)
# Each field given is set (null: no limit); one left out stays as it is.
RETENTION_REQUEST: Schema = obj(
    {"max_age_days": _MAX_AGE_DAYS, "max_bytes": _MAX_BYTES}, minProperties=1
)
RETENTION_ANSWER: Schema = obj({"target": {"type": "string"}, "retention": RETENTION},
                               ("target", "retention"))  # fmt: skip
# The filesystem check before the mount (check.py): absent when none ran (internal).
CHECK: Schema = obj(
    {"result": {"enum": list(CHECK_OUTCOMES)}, "detail": {"type": "string"},
     "at": {"type": "string"}},
    ("result", "detail", "at"),
)  # fmt: skip
# A NAS's TCP port (absent: the protocol's own, NFS 2049 or SMB 445).
_PORT = {"type": "integer", "minimum": 1, "maximum": MAX_PORT,
         ERROR_KEYWORD: f"a TCP port: an integer 1 to {MAX_PORT}"}  # fmt: skip
TARGET: Schema = obj(
    {
        "name": {"type": "string"},
        "kind": {"enum": ["internal", "usb", "nas"]},
        "state": {"enum": list(TARGET_STATES)},
        "message": {"type": "string"},
        "path": {"type": "string"},
        "fs_type": {"type": "string"},
        "device": {"type": "string"},
        "port": _PORT,  # a NAS on a port of its own
        "label": {"type": "string"},
        "size_bytes": _COUNT,
        "free_bytes": _COUNT,
        "recordings": {"type": "integer", "minimum": 0},
        "recording_bytes": {"type": "integer", "minimum": 0},
        "default": {"type": "boolean"},
        "retention": RETENTION,
        "check": CHECK,
    },
    ("name", "kind", "state", "size_bytes", "free_bytes", "recordings", "recording_bytes"),
)
_NULLABLE_TEXT = {"type": ["string", "null"]}
# The recordings waiting on internal for the target the recording settings choose.
PLACEMENT: Schema = obj(
    {
        "destination": _NULLABLE_TEXT,
        "pending": {"type": "integer", "minimum": 0},
        "pending_bytes": {"type": "integer", "minimum": 0},
        "quota_bytes": {"type": "integer", "minimum": 0},
        "waiting": _NULLABLE_TEXT,
        "moving": _NULLABLE_TEXT,
    },
    ("destination", "pending", "pending_bytes", "quota_bytes", "waiting", "moving"),
)
STORAGE: Schema = obj(
    {
        "default": {"type": "string"},
        "targets": {"type": "array", "items": TARGET},
        "placement": PLACEMENT,
    },
    ("default", "targets"),
)
DEFAULT_REQUEST: Schema = obj({"target": TARGET_NAME}, ("target",))
DEFAULT_ANSWER: Schema = obj({"default": {"type": "string"}}, ("default",))
EJECT_ANSWER: Schema = obj({"ejected": {"type": "string"}}, ("ejected",))
CHECK_ANSWER: Schema = obj({"target": {"type": "string"}, "state": {"enum": list(TARGET_STATES)},
                           "check": CHECK}, ("target", "state", "check"))  # fmt: skip
# A NAS (nas.py): every field checked again there; the password is only written to the
# root-only credentials file (never answered, audited or kept in storage.json).
NAS_REQUEST: Schema = obj(
    {
        "name": string(f"^{NAS_NAME_PATTERN}$", max_length=44,
                       error="a NAS's name: nas-<word> (a-z, 0-9, '-')"),
        "kind": {"enum": list(NAS_KINDS)},
        "host": string(f"^{HOST_PATTERN}$", max_length=253,
                       error="a hostname or an IPv4 address (no spaces, commas or options)"),
        "share": {"type": "string", "maxLength": 1300, "anyOf": [
            {"pattern": f"^{EXPORT_PATTERN}$"}, {"pattern": f"^{SHARE_PATTERN}$"}],
            ERROR_KEYWORD: "an NFS export (/srv/recordings) or an SMB share (recordings): "
                           "letters, digits, '.', '_', '-' and '/'"},
        "username": string(f"^{USERNAME_PATTERN}$", max_length=64, error="an SMB username"),
        "password": {"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD,
                     "pattern": "^[^\\n\\r\\x00]*$", ERROR_KEYWORD: "an SMB password: 1 to "
                     f"{MAX_PASSWORD} characters, no line break"},
        "domain": string(f"^(?:{DOMAIN_PATTERN})?$", max_length=64, error="an SMB domain"),
        "port": _PORT,
    },
    ("name", "kind", "host", "share"),
)  # fmt: skip
NAS_ANSWER: Schema = TARGET
REMOVE_ANSWER: Schema = obj({"removed": {"type": "string"}}, ("removed",))
