"""Licence documents: {"payload": {...}, "signature": base64 Ed25519 over canonical JSON}.

The canonical form of a payload is its JSON with sorted keys, no spaces, UTF-8. Parsing is
strict (unknown or missing fields are errors) so that what was signed is what is enforced.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from orpheus.licensing.tiers import ADDONS, TIERS, VM_MIN_CHANNELS

REQUIRED = ("license_id", "serial", "tier", "addons", "update_support_until", "issued")
OPTIONAL = ("fingerprint", "channels")


class LicenseError(ValueError):
    """A licence that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class License:
    license_id: str
    serial: str
    fingerprint: str | None
    tier: str
    channels: int | None
    addons: tuple[str, ...]
    update_support_until: datetime.date
    issued: datetime.date

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "license_id": self.license_id,
            "serial": self.serial,
            "tier": self.tier,
            "addons": list(self.addons),
            "update_support_until": self.update_support_until.isoformat(),
            "issued": self.issued.isoformat(),
        }
        if self.fingerprint is not None:
            payload["fingerprint"] = self.fingerprint
        if self.channels is not None:
            payload["channels"] = self.channels
        return payload


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    signature = base64.b64encode(key.sign(canonical(payload))).decode()
    return {"payload": payload, "signature": signature}


def parse_document(raw: bytes | str) -> dict[str, Any]:
    """The outer shape only: a JSON object with a payload object and a signature string."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise LicenseError(f"licence is not valid JSON: {error}") from error
    if not isinstance(document, dict) or set(document) != {"payload", "signature"}:
        raise LicenseError('licence must be a JSON object with exactly "payload" and "signature"')
    if not isinstance(document["payload"], dict) or not isinstance(document["signature"], str):
        raise LicenseError('licence "payload" must be an object and "signature" a string')
    return document


def verify_signature(document: dict[str, Any], key: Ed25519PublicKey) -> None:
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        key.verify(signature, canonical(document["payload"]))
    except (binascii.Error, InvalidSignature) as error:
        raise LicenseError(
            "licence signature does not match: it was altered or not signed by the vendor key"
        ) from error


def _date(payload: dict[str, Any], name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(payload[name]))
    except ValueError as error:
        raise LicenseError(f"licence field {name!r} is not a date (YYYY-MM-DD)") from error


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload[name]
    if not isinstance(value, str) or not value:
        raise LicenseError(f"licence field {name!r} must be a non-empty string")
    return value


def parse_payload(payload: dict[str, Any]) -> License:
    """Checks the payload on its own: fields, tier, channels, add-ons the tier accepts."""
    missing = [name for name in REQUIRED if name not in payload]
    unknown = sorted(set(payload) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise LicenseError(f"licence payload: missing {missing}, unknown {unknown}")
    tier = _text(payload, "tier")
    if tier not in TIERS:
        raise LicenseError(f"licence tier {tier!r} is not one of {', '.join(TIERS)}")
    channels = payload.get("channels")
    if tier == "vm":
        if not isinstance(channels, int) or isinstance(channels, bool):
            raise LicenseError("a vm licence needs 'channels' (licensed external channels)")
        if channels < VM_MIN_CHANNELS:
            raise LicenseError(
                f"a vm licence needs at least {VM_MIN_CHANNELS} channels, this one has {channels}"
            )
    elif channels is not None:
        raise LicenseError(f"'channels' is only for vm licences, not {tier}")
    addons = payload["addons"]
    if not isinstance(addons, list) or not all(isinstance(a, str) for a in addons):
        raise LicenseError("licence field 'addons' must be a list of strings")
    for addon in addons:
        if addon not in ADDONS:
            raise LicenseError(f"unknown add-on {addon!r} (known: {', '.join(ADDONS)})")
        if addon not in TIERS[tier].accepted_addons:
            accepted = ", ".join(sorted(TIERS[tier].accepted_addons))
            raise LicenseError(
                f"the {TIERS[tier].title} tier cannot take the add-on {addon!r} "
                f"(it accepts: {accepted})"
            )
    fingerprint = payload.get("fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise LicenseError("licence field 'fingerprint' must be a string")
    return License(
        license_id=_text(payload, "license_id"),
        serial=_text(payload, "serial"),
        fingerprint=fingerprint,
        tier=tier,
        channels=channels,
        addons=tuple(addons),
        update_support_until=_date(payload, "update_support_until"),
        issued=_date(payload, "issued"),
    )
