"""A VM licensed for 5 external channels: the 6th call through a trunk is refused while
calls between extensions still connect."""

from __future__ import annotations

import pytest

from testbed.pbx_unit import CARRIER_ADDRESS, PASSWORD, Unit, add_extension, register_phone
from testbed.sipp import Sipp, phone_args

pytestmark = pytest.mark.rootfs


def test_sixth_external_call_refused_internal_calls_connect(vm_unit: Unit) -> None:
    unit = vm_unit
    installed = unit.install_licence(unit.vendor.licence(unit.serial, "vm", channels=5), "vm5")
    assert installed.returncode == 0, installed.stderr
    for number in ("101", "102"):
        add_extension(unit, number)
    trunk = unit.agent.ctl("pbx", "add", "trunk", "name=carrier", f"host={CARRIER_ADDRESS}",
                           "inbound=102")  # fmt: skip
    assert trunk.returncode == 0, trunk.stderr
    phone = register_phone(unit, "102", 5070)
    try:
        carrier = Sipp(unit.agent.netns, unit.agent.workdir, "carrier")
        carrier.start("uac_trunk.xml", [
            "127.0.0.1:5060", "-i", CARRIER_ADDRESS, "-p", "5090", "-mp", "34000",
            "-s", "0612345678", "-key", "caller", "0298765432",
            "-m", "6", "-l", "6", "-r", "5", "-timeout", "300s",
        ])  # fmt: skip
        assert carrier.wait_outcomes(6) == (5, 1)  # 5 external channels, the 6th refused
        assert unit.counted_calls() == 5

        internal = Sipp(unit.agent.netns, unit.agent.workdir, "internal")
        internal.start("uac_extension.xml", phone_args("102", "101", PASSWORD, 5081, 35000, 3))
        assert internal.wait_outcomes(3) == (3, 0)  # extension to extension is not counted
        assert unit.counted_calls() == 5
        licence = unit.agent.ctl_json("license", "show", "--json")
        assert isinstance(licence, dict)
        assert licence["limits"]["concurrent_calls"] == 5
        assert licence["limits"]["external_calls_only"] is True
        assert licence["usage"]["concurrent_calls"] == 5
        unit.cli("channel request hangup all")
        carrier.wait_exit()
        internal.wait_exit()
    finally:
        phone.stop()
