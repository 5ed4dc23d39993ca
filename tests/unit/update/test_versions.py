"""Firmware version order (orpheus.update.versions)."""

from __future__ import annotations

import pytest

from orpheus.update.versions import older


def test_version_order() -> None:
    assert older("1.2.9", "1.2.10")
    assert older("1.3.0-rc.1", "1.3.0")
    assert not older("1.3.0+gabc", "1.3.0")
    with pytest.raises(ValueError):
        older("banana", "1.0")
