"""What may be installed (orpheus.update.policy): versions, entitlement, compatible."""

from __future__ import annotations

from datetime import date

import pytest

from orpheus.jobs.model import Refusal
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


def test_a_bundle_without_a_valid_version_is_refused() -> None:
    running = Firmware("1.0.0", "2026-01-01T00:00:00Z", "0.0.0")
    with pytest.raises(Refused, match="the bundle's version is not valid: not a firmware version"):
        policy.check_versions(Firmware("banana", "x", "0.0.0"), running)


def test_an_unversioned_development_build_does_not_block() -> None:
    """A running firmware built from a checkout (version 'unknown', 'dev') compares as
    neither older nor newer, so the bundle's own rules decide."""
    for running_version in ("unknown", "dev-abc"):
        running = Firmware(running_version, "2026-01-01T00:00:00Z", "0.0.0")
        policy.check_versions(Firmware("1.0.0", "x", "0.9.0"), running)
    policy.check_versions(Firmware("1.0.0", "x", "0.0.0"), Firmware("2.0.0", "y", "not-a-version"))


def test_equal_versions_pass_both_rules() -> None:
    running = Firmware("1.5.0", "2026-01-01T00:00:00Z", "1.5.0")
    policy.check_versions(Firmware("1.5.0", "x", "1.5.0"), running)  # a reinstall


@pytest.mark.parametrize(
    ("build_date", "day"),
    [
        ("2027-03-31T23:59:59Z", date(2027, 3, 31)),
        ("2027-03-31T23:59:59+00:00", date(2027, 3, 31)),
        ("2027-03-31", date(2027, 3, 31)),
    ],
)
def test_the_build_day_of_a_bundle(build_date: str, day: date) -> None:
    assert policy.build_day(build_date) == day


def test_a_bundle_without_a_build_date_is_refused_when_support_is_limited() -> None:
    undated = Firmware("1.1.0", "yesterday", "0.0.0")
    with pytest.raises(Refused, match=r"no valid build date \('yesterday'\)"):
        policy.check_entitlement(undated, date(2027, 3, 31))
    policy.check_entitlement(undated, None)  # no limit: the date is not read


def test_the_compatible_string_must_match_exactly() -> None:
    policy.check_compatible("orpheus-x86_64", "orpheus-x86_64")
    with pytest.raises(Refused, match="bundle is for 'orpheus-x86_64 ', this unit accepts"):
        policy.check_compatible("orpheus-x86_64 ", "orpheus-x86_64")


def test_a_refusal_is_a_job_refusal() -> None:
    """An install job ends 'refused' (not 'failed') on these: they are the jobs' Refusal."""
    assert issubclass(Refused, Refusal)
