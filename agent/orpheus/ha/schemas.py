"""What the HA routes take and answer (values are checked again where they are used)."""

from __future__ import annotations

from orpheus.api.schema import Schema, obj, string

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"^{_OCTET}(\.{_OCTET}){{3}}$"
_CIDR = _IPV4[:-1] + r"/([0-9]|[12][0-9]|3[0-2])$"

PAIR_REQUEST: Schema = obj(
    {
        "peer": string(_IPV4, max_length=15),
        "vip": string(_CIDR, max_length=18),
        "interface": string(r"^[A-Za-z0-9._@-]{1,15}$", max_length=15),
        "code": string(r"^[0-9 -]{1,20}$", max_length=20),
        "preempt": {"type": "boolean"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 254},
        "advert_interval": {"type": "number", "minimum": 0.01, "maximum": 255},
        "vrrp_version": {"enum": [2, 3]},
        "witness": string(_IPV4, max_length=15),
    },
    ("peer", "vip", "interface", "code"),
)
JOIN_ANSWER: Schema = obj(
    {
        "code": {"type": "string"},
        "expires_in_seconds": {"type": "number"},
        "fingerprint": {"type": "string"},
        "sync_port": {"type": "integer"},
    },
    ("code", "expires_in_seconds", "fingerprint", "sync_port"),
)
HA_STATUS: Schema = {
    "type": "object",
    "required": ["paired", "role", "peer_reachable", "generation"],
    "properties": {
        "paired": {"type": "boolean"},
        "role": {"type": "string"},
        "peer_reachable": {"type": "boolean"},
        "generation": {"type": "object"},
    },
}
CHECK_ANSWER: Schema = obj({"ok": {"const": True}}, ("ok",))
