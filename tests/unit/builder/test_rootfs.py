"""The root filesystem's package pins (builder/rootfs.py)."""

from __future__ import annotations

from builder.rootfs import load_config, pin_preferences


def test_pin_preferences_pin_only_the_listed_packages() -> None:
    prefs = pin_preferences(load_config())
    assert "Package: *\nPin: release n=sid\nPin-Priority: 100" in prefs
    assert "Package: asterisk " in prefs
