"""What the HA routes take and answer (values are checked again where they are used)."""

from __future__ import annotations

from orpheus.api.schema import Schema, obj, string

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"^{_OCTET}(\.{_OCTET}){{3}}$"
_CIDR = _IPV4[:-1] + r"/([0-9]|[12][0-9]|3[0-2])$"

_ADDRESS = string(_IPV4, max_length=15)
_VIP = string(_CIDR, max_length=18)
_ADVERT = {"type": "number", "minimum": 0.01, "maximum": 255}
_VRRP_VERSION = {"enum": [2, 3]}
# SHA-256 of the peer's certificate as `ha join` shows it: hex, colons between bytes allowed.
_FINGERPRINT = string(
    r"^[0-9A-Fa-f]{64}$|^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$",
    max_length=95,
    error="must be the SHA-256 fingerprint `orpheusctl ha join` showed (64 hex digits)",
)

PAIR_REQUEST: Schema = obj(
    {
        "peer": _ADDRESS,
        "vip": _VIP,
        "interface": string(r"^[A-Za-z0-9._@-]{1,15}$", max_length=15),
        "code": string(r"^[0-9 -]{1,20}$", max_length=20),
        "peer_fingerprint": _FINGERPRINT,
        "preempt": {"type": "boolean"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 254},
        "advert_interval": _ADVERT,
        "vrrp_version": _VRRP_VERSION,
        "witness": _ADDRESS,
    },
    ("peer", "vip", "interface", "code", "peer_fingerprint"),
)
# What the Slave takes on the pair channel (POST /pair, the MAC taken off): the Master's own
# fields are checked with the same schemas as its API's.
_OFFER_FIELDS: dict[str, Schema] = {
    "address": _ADDRESS,
    "vip": _VIP,
    "nopreempt": {"type": "boolean"},
    "advert_interval": _ADVERT,
    "vrrp_version": _VRRP_VERSION,
    "witness": {"anyOf": [_ADDRESS, {"type": "null"}]},
    "firmware_version": string(r"^[0-9A-Za-z.+~-]{1,64}$", max_length=64),
    "cert_pem": string(
        r"^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]{1,4096}-----END CERTIFICATE-----\n?$",
        max_length=4096,
    ),
    # keepalived's auth_pass: at most 8 characters (the Master sends 8 hex digits).
    "auth_pass": string(r"^[0-9A-Za-z]{1,8}$", max_length=8),
    "nonce": string(r"^[0-9a-f]{32}$", max_length=32),
}
PAIR_OFFER: Schema = obj(_OFFER_FIELDS, tuple(_OFFER_FIELDS))
JOIN_REQUEST: Schema = obj({"master": _ADDRESS})
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
