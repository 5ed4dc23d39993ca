"""Firmware version order (orpheus.update.versions)."""

from __future__ import annotations

import pytest

from orpheus.update.versions import older, version_key


def test_version_order() -> None:
    assert older("1.2.9", "1.2.10")
    assert older("1.3.0-rc.1", "1.3.0")
    assert not older("1.3.0+gabc", "1.3.0")
    with pytest.raises(ValueError):
        older("banana", "1.0")


def test_pre_releases_come_before_their_release_and_sort_by_their_parts() -> None:
    order = ["1.3.0-1", "1.3.0-alpha", "1.3.0-rc.1", "1.3.0-rc.2", "1.3.0-rc.10", "1.3.0", "1.3.1"]
    assert sorted(reversed(order), key=version_key) == order  # numeric parts before names


def test_short_versions_are_padded_and_spaces_ignored() -> None:
    assert version_key("1") == version_key("1.0.0") == version_key(" 1.0 ")
    assert not older("1.0", "1.0.0") and not older("1.0.0", "1.0")
    assert older("1.2", "1.10")


@pytest.mark.parametrize("version", ["", "v1.0", "1..0", "unknown", "1.0-"])
def test_what_is_not_a_version(version: str) -> None:
    with pytest.raises(ValueError, match="not a firmware version"):
        version_key(version)
