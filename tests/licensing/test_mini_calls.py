"""A Mini on the real Asterisk: 10 calls connect and the 11th is refused; a Lite licence
lifts the limits at once, with the calls in progress kept."""

from __future__ import annotations

import pytest

from testbed.pbx_unit import PASSWORD, Unit, add_extension, register_phone
from testbed.sipp import Sipp, phone_args

pytestmark = pytest.mark.rootfs


def test_mini_limits_and_lite_upgrade_on_real_calls(mini_unit: Unit) -> None:
    unit = mini_unit
    for number in ("101", "102"):
        add_extension(unit, number)
    phone = register_phone(unit, "102", 5070)
    try:
        first = Sipp(unit.agent.netns, unit.agent.workdir, "mini-calls")
        first.start("uac_extension.xml", phone_args("102", "101", PASSWORD, 5080, 32000, 11))
        assert first.wait_outcomes(11) == (10, 1)  # 10 connected, the 11th refused with 503
        assert unit.counted_calls() == 10

        for number in range(103, 113):  # 12 extensions in all: the Mini's limit
            add_extension(unit, str(number))
        thirteenth = ("pbx", "add", "extension", "number=113", f"password={PASSWORD}")
        assert unit.agent.ctl(*thirteenth).returncode != 0

        licence = unit.vendor.licence(unit.serial, "lite")
        installed = unit.install_licence(licence, "lite")
        assert installed.returncode == 0, installed.stderr
        assert unit.counted_calls() == 10  # no call dropped by the new licence

        second = Sipp(unit.agent.netns, unit.agent.workdir, "lite-calls")
        second.start("uac_extension.xml", phone_args("102", "101", PASSWORD, 5081, 33000, 16))
        assert second.wait_outcomes(16) == (15, 1)  # 25 in all connect, the 26th is refused
        assert unit.counted_calls() == 25
        assert unit.agent.ctl(*thirteenth).returncode == 0  # the Lite has no extension limit
        assert "113/" in unit.cli("pjsip show endpoints")
        unit.cli("channel request hangup all")
        assert first.wait_exit() == 0 or first.outcomes() == (10, 1)
        second.wait_exit()
    finally:
        phone.stop()
