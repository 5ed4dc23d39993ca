"""Licence documents: payload checks, signatures, tampering (orpheus.licensing.document)."""

from __future__ import annotations

import pytest

from orpheus.licensing.document import LicenseError, parse_payload


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
