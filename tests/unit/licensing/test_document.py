"""Licence documents: payload checks, signatures, tampering (orpheus.licensing.document)."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orpheus.licensing.document import (
    License,
    LicenseError,
    canonical,
    parse_document,
    parse_payload,
    sign,
    verify_signature,
)


def test_payload_checks() -> None:
    base = {"license_id": "L1", "serial": "S", "addons": [], "issued": "2026-01-01",
            "update_support_until": "2027-01-01"}  # fmt: skip
    assert parse_payload({**base, "tier": "vm", "channels": 5}).channels == 5
    with pytest.raises(LicenseError, match="at least 5 channels"):
        parse_payload({**base, "tier": "vm", "channels": 3})
    with pytest.raises(LicenseError, match="cannot take the add-on 'phone'"):
        parse_payload({**base, "tier": "mini", "addons": ["phone"]})
    with pytest.raises(LicenseError, match="unknown"):
        parse_payload({**base, "tier": "lite", "extra": 1})


PAYLOAD: dict[str, Any] = {
    "license_id": "L-1",
    "serial": "ORP-1",
    "tier": "lite",
    "addons": ["callcenter"],
    "update_support_until": "2027-06-30",
    "issued": "2026-06-30",
    "fingerprint": "f" * 64,
}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_signed_document_verifies_and_parses(key: Ed25519PrivateKey) -> None:
    document = sign(PAYLOAD, key)
    assert set(document) == {"payload", "signature"}
    raw = json.dumps(document)
    parsed = parse_document(raw)
    verify_signature(parsed, key.public_key())
    licence = parse_payload(parsed["payload"])
    assert licence == License("L-1", "ORP-1", "f" * 64, "lite", None, ("callcenter",),
                              datetime.date(2027, 6, 30), datetime.date(2026, 6, 30))  # fmt: skip
    assert licence.as_payload() == PAYLOAD


def test_the_signature_covers_the_canonical_form(key: Ed25519PrivateKey) -> None:
    """Key order and spacing of the file do not matter; the values do."""
    document = sign(PAYLOAD, key)
    reordered = {"signature": document["signature"],
                 "payload": dict(reversed(list(PAYLOAD.items())))}  # fmt: skip
    verify_signature(parse_document(json.dumps(reordered, indent=4)), key.public_key())
    assert canonical(PAYLOAD) == canonical(reordered["payload"])
    assert b" " not in canonical(PAYLOAD)
    assert canonical({"b": "é", "a": 1}) == '{"a":1,"b":"é"}'.encode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("tier", "v4r"), ("serial", "ORP-2"), ("update_support_until", "2099-01-01"),
     ("addons", []), ("fingerprint", "0" * 64)],
)  # fmt: skip
def test_a_changed_payload_field_breaks_the_signature(
    key: Ed25519PrivateKey, field: str, value: object
) -> None:
    document = sign(PAYLOAD, key)
    document["payload"] = {**PAYLOAD, field: value}
    with pytest.raises(LicenseError, match="signature does not match"):
        verify_signature(document, key.public_key())


def test_an_added_field_or_another_key_breaks_the_signature(key: Ed25519PrivateKey) -> None:
    document = sign(PAYLOAD, key)
    document["payload"] = {**PAYLOAD, "channels": 100}
    with pytest.raises(LicenseError, match="signature does not match"):
        verify_signature(document, key.public_key())
    other = Ed25519PrivateKey.generate()
    with pytest.raises(LicenseError, match="not signed by the vendor key"):
        verify_signature(sign(PAYLOAD, other), key.public_key())


@pytest.mark.parametrize("signature", ["not base64!", "", base64.b64encode(b"x" * 64).decode()])
def test_a_malformed_signature_is_a_licence_error(key: Ed25519PrivateKey, signature: str) -> None:
    with pytest.raises(LicenseError, match="signature does not match"):
        verify_signature({"payload": PAYLOAD, "signature": signature}, key.public_key())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not valid JSON"),
        ("{", "not valid JSON"),
        ("[]", 'exactly "payload" and "signature"'),
        ('{"payload": {}}', 'exactly "payload" and "signature"'),
        ('{"payload": {}, "signature": "s", "note": 1}', 'exactly "payload" and "signature"'),
        ('{"payload": [], "signature": "s"}', '"payload" must be an object'),
        ('{"payload": {}, "signature": 5}', '"signature" a string'),
    ],
)
def test_the_outer_shape_is_strict(raw: bytes | str, message: str) -> None:
    with pytest.raises(LicenseError) as refused:
        parse_document(raw)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tier": "gold"}, "licence tier 'gold' is not one of mini, lite, v4r, v4rplus, vm"),
        ({"tier": ""}, "'tier' must be a non-empty string"),
        ({"serial": 5}, "'serial' must be a non-empty string"),
        ({"issued": "30.06.2026"}, "'issued' is not a date (YYYY-MM-DD)"),
        ({"addons": "callcenter"}, "'addons' must be a list of strings"),
        ({"addons": ["fax"]}, "unknown add-on 'fax'"),
        ({"fingerprint": 12}, "'fingerprint' must be a string"),
        ({"channels": 5}, "'channels' is only for vm licences, not lite"),
        ({"tier": "vm", "addons": []}, "a vm licence needs 'channels'"),
        ({"tier": "vm", "addons": [], "channels": True}, "a vm licence needs 'channels'"),
    ],
)
def test_bad_payloads_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(LicenseError) as refused:
        parse_payload({**PAYLOAD, **changes})
    assert message in str(refused.value)


def test_missing_fields_are_named() -> None:
    payload = {k: v for k, v in PAYLOAD.items() if k not in ("issued", "fingerprint")}
    with pytest.raises(LicenseError, match=r"missing \['issued'\], unknown \[\]"):
        parse_payload(payload)
    licence = parse_payload({**payload, "issued": "2026-01-01"})
    assert licence.fingerprint is None and "fingerprint" not in licence.as_payload()
