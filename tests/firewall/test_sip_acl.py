"""Asterisk's own PJSIP ACL as the second layer, against the real agent, Asterisk and
nftables: with the SIP list set and the agent's nftables rules flushed (the first layer
gone), a REGISTER from a network outside the list is answered 403 by Asterisk itself, one
from inside it registers; opening SIP again lets both in."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.pbx_unit import add_extension
from tests.firewall.conftest import FIREWALL, Lab

pytestmark = pytest.mark.rootfs
ACL_FILE = "etc/asterisk/pjsip.d/orpheus-acl.conf"


@pytest.fixture(scope="module")
def extensions(lab: Lab) -> Lab:
    for number in ("111", "112"):
        add_extension(lab.unit, number)
    return lab


@pytest.fixture
def sip_listed(fresh: Lab, extensions: Lab) -> Iterator[Lab]:
    """SIP restricted to the admin's network, confirmed; then nftables' rules flushed."""
    status, answer = fresh.console("POST", FIREWALL, {"allow": {"sip": ["10.77.1.0/24"]}})
    assert status == 200, answer
    assert fresh.console("POST", f"{FIREWALL}/confirm", {})[0] == 200
    subprocess.run(["ip", "netns", "exec", fresh.unit.agent.netns, "nft", "flush", "chain",
                    "inet", "orpheus", "input"], check=True)  # fmt: skip
    yield fresh


def _acl_text(lab: Lab) -> str:
    return (lab.unit.sandbox.data / ACL_FILE).read_text()


def _errors(workdir: Path, name: str) -> str:
    path = workdir / f"sipp-{name}.errors"
    return path.read_text(errors="replace") if path.exists() else ""


def test_asterisk_refuses_a_register_from_outside_the_sip_list(sip_listed: Lab) -> None:
    lab, workdir = sip_listed, sip_listed.unit.agent.workdir
    text = _acl_text(lab)
    assert "type=acl" in text and "deny=0.0.0.0/0" in text and "permit=10.77.1.0/24" in text
    assert "10.77.2." not in text
    assert lab.admin.register(workdir, "acl-allowed", "111")
    assert not lab.other.register(workdir, "acl-denied", "112")
    # answered, not dropped: Asterisk's 403 is what sipp did not expect
    assert "SIP/2.0 403" in _errors(workdir, "acl-denied")


def test_opening_sip_again_lets_every_address_in(sip_listed: Lab) -> None:
    lab, workdir = sip_listed, sip_listed.unit.agent.workdir
    status, answer = lab.console("POST", FIREWALL, {"allow": {"sip": None}})
    assert status == 200, answer
    assert "type=acl" not in _acl_text(lab)
    assert lab.other.register(workdir, "acl-open", "112")
