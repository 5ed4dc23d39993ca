"""What may be installed (orpheus.update.policy): versions, entitlement, compatible."""

from __future__ import annotations

from datetime import date

import pytest

from orpheus.update import policy
from orpheus.update.policy import Firmware, Refused


def test_bundle_needing_a_newer_running_firmware_is_refused() -> None:
    running = Firmware("1.0.0", "2026-01-01T00:00:00Z", "0.0.0")
    with pytest.raises(Refused, match=r"only be installed over 1.1.0.*runs 1.0.0"):
        policy.check_versions(Firmware("2.0.0", "x", "1.1.0"), running)


def test_downgrade_below_the_running_firmwares_minimum_is_refused() -> None:
    running = Firmware("2.0.0", "2026-01-01T00:00:00Z", "1.5.0")
    with pytest.raises(Refused, match=r"cannot go back below 1.5.0, the bundle is 1.4.0"):
        policy.check_versions(Firmware("1.4.0", "x", "0.0.0"), running)
    policy.check_versions(Firmware("1.5.0", "x", "0.0.0"), running)


def test_entitlement_names_both_dates() -> None:
    late = Firmware("1.1.0", "2027-04-01T00:00:00Z", "0.0.0")
    with pytest.raises(Refused, match=r"ended on 2027-03-31.*built on 2027-04-01"):
        policy.check_entitlement(late, date(2027, 3, 31))
    policy.check_entitlement(late, date(2027, 4, 1))
    policy.check_entitlement(late, None)


def test_compatible() -> None:
    with pytest.raises(Refused, match="'other'"):
        policy.check_compatible("other", "orpheus-x86_64")
