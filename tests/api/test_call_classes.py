"""Outbound call classes against the real agent and the root filesystem's Asterisk: a
national-class extension dialling an international number through a trunk is refused with
403 before the trunk (a sipp carrier) sees an INVITE; a national number passes; an extension
set to international passes; bad classes are 400 with extensions.conf unchanged."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.pbx_unit import CARRIER_ADDRESS, PASSWORD, Unit, add_extension, running_unit
from testbed.sipp import Sipp, phone_args
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

INTERNATIONAL = "900441234567"  # trunk prefix 9, then 00...
NATIONAL = "90301234567"


@pytest.fixture(scope="module")
def unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("classes-unit")
    netns = f"orpheus-classes-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="mini", serial="ORP-CLASS-0001") as unit:
        for number in ("101", "102"):
            add_extension(unit, number)
        trunk = unit.agent.ctl("pbx", "add", "trunk", "name=carrier",
                               f"host={CARRIER_ADDRESS}", "port=5090", "prefix=9")  # fmt: skip
        assert trunk.returncode == 0, trunk.stderr
        yield unit


def _dialplan(unit: Unit) -> bytes:
    return (unit.sandbox.data / "etc/asterisk/extensions.conf").read_bytes()


def _carrier(unit: Unit, name: str) -> Sipp:
    """A carrier that answers exactly one call, then exits."""
    carrier = Sipp(unit.agent.netns, unit.agent.workdir, name)
    carrier.start("uas_phone.xml", ["-i", CARRIER_ADDRESS, "-p", "5090", "-mp", "34000",
                                    "-m", "1"])  # fmt: skip
    return carrier


def _dial(unit: Unit, name: str, scenario: str, caller: str, number: str) -> None:
    phone = Sipp(unit.agent.netns, unit.agent.workdir, name)
    phone.run(scenario, phone_args(number, caller, PASSWORD, 5080, 32000, 1))


def test_international_refused_for_national_class_then_national_passes(unit: Unit) -> None:
    carrier = _carrier(unit, "carrier-national")
    try:
        _dial(unit, "refused", "call_refused.xml", "101", INTERNATIONAL)  # 403, else sipp fails
        assert carrier.process is not None and carrier.process.poll() is None  # no INVITE
        _dial(unit, "national", "call.xml", "101", NATIONAL)
        assert carrier.wait_exit() == 0  # its one call was the national one
    finally:
        carrier.stop()
    status, counted = local_request(unit, "GET", "/api/v1/pbx/callclass-refusals")
    assert (status, counted) == (200, {"refused": 1})


def test_an_international_extension_passes(unit: Unit) -> None:
    changed = unit.agent.ctl("pbx", "set", "extension", "102", "call_class=international")
    assert changed.returncode == 0, changed.stderr
    carrier = _carrier(unit, "carrier-international")
    try:
        _dial(unit, "international", "call.xml", "102", INTERNATIONAL)
        assert carrier.wait_exit() == 0
    finally:
        carrier.stop()


@pytest.mark.parametrize("bad", ["a\nb", "a[b", "a;b"])
def test_bad_class_names_and_patterns_are_400_with_the_dialplan_unchanged(
    unit: Unit, bad: str
) -> None:
    before = _dialplan(unit)
    attempts = [
        ("POST", "/api/v1/pbx/callclass", {"name": bad, "patterns": ["_00X."]}),
        ("POST", "/api/v1/pbx/callclass", {"name": "mine", "patterns": [f"_00X.{bad}"]}),
        ("PUT", "/api/v1/pbx/extension/101", {"call_class": bad}),
    ]
    for method, path, body in attempts:
        status, answer = local_request(unit, method, path, json.dumps(body).encode())
        assert status == 400, (path, body, answer)
    assert _dialplan(unit) == before
