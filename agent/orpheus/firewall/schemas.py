"""JSON Schemas of /api/v1/firewall."""

from __future__ import annotations

from collections.abc import Collection

from orpheus.api.schema import Schema, obj, string
from orpheus.firewall.lists import ALIASES, MAX_NETWORKS
from orpheus.firewall.networks import MAX_TEXT, NETWORK_TEXT

NETWORK: Schema = string(
    f"^{NETWORK_TEXT.pattern}$", max_length=MAX_TEXT, error="an address or address/prefix"
)
ENTRY: Schema = {"anyOf": [NETWORK, {"enum": list(ALIASES)}]}
NETWORKS: Schema = {"type": "array", "items": ENTRY, "maxItems": MAX_NETWORKS}
ADDRESS_PARAM: Schema = string(r"^[0-9A-Fa-f:.]{2,45}$", max_length=45, error="an IP address")
MAX_CONFIRM_SECONDS = 600


def lists_schema(services: Collection[str]) -> Schema:
    allow = obj({name: {"anyOf": [NETWORKS, {"type": "null"}]} for name in services})
    return obj({"allow": allow, "trusted": NETWORKS})


def change_schema(services: Collection[str]) -> Schema:
    return obj(
        {
            **lists_schema(services)["properties"],
            "force": {"type": "boolean"},
            "confirm_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_CONFIRM_SECONDS},
        }
    )


_STRINGS_OR_NULL: Schema = {
    "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]
}
_SERVICE = obj(
    {
        "summary": {"type": "string"},
        "ports": {"type": "array", "items": {"type": "string"}},
        "allow": _STRINGS_OR_NULL,  # as written, aliases included
        "networks": _STRINGS_OR_NULL,  # as applied, aliases resolved
    },
    ("summary", "ports", "allow", "networks"),
)
_BLOCKING = obj(
    {
        "failures": {"type": "integer"},
        "window_seconds": {"type": "number"},
        "block_seconds": {"type": "integer"},
        "failures_seen": {"type": "integer"},
        "blocks_made": {"type": "integer"},
        "reading_events": {"type": "boolean"},
    },
    ("failures", "window_seconds", "block_seconds", "failures_seen", "blocks_made"),
)
STATE: Schema = obj(
    {
        "mode": {"enum": ["open", "restricted"]},
        "services": {"type": "object", "additionalProperties": _SERVICE},
        "trusted": {"type": "array", "items": {"type": "string"}},
        "local": {"type": "array", "items": {"type": "string"}},
        "peer": {"type": ["string", "null"]},
        "pending": {
            "anyOf": [obj({"confirm_within_seconds": {"type": "number"}}), {"type": "null"}]
        },
        "confirmed": {"type": "object"},
        "blocking": _BLOCKING,
        "error": {"type": ["string", "null"]},
    },
    ("mode", "services", "trusted", "pending", "blocking", "error"),
)
BLOCKED: Schema = obj(
    {
        "blocked": {
            "type": "array",
            "items": obj(
                {
                    "address": {"type": "string"},
                    "expires_in_seconds": {"type": ["integer", "null"]},
                },
                ("address", "expires_in_seconds"),
            ),
        }
    },
    ("blocked",),
)
UNBLOCKED: Schema = obj({"address": {"type": "string"}}, ("address",))
