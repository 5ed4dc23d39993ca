"""The station's reading of a unit's replies (factory/replies.py): anything else than what the
console sends is one line, and nothing of it is taken."""

from __future__ import annotations

from typing import Any

import pytest

from orpheus.factory.replies import BadReply, parse_hardware, parse_self_test, parse_status
from orpheus.licensing.identity import Hardware

UUID, DISK_SERIAL, MAC = "4c4c4544-0042", "SSD-1", "52:54:00:12:34:56"


def hardware(**changes: Any) -> dict[str, Any]:
    return {
        "product_uuid": UUID, "disk": {"name": "sda", "model": "M", "size_bytes": 1,
                                       "serial": DISK_SERIAL},
        "nics": [{"name": "eth0", "mac": MAC}], "ram_bytes": 2, "cpus": 2, "mac": MAC,
        "fingerprint": Hardware(MAC, UUID, DISK_SERIAL).fingerprint,
    } | changes  # fmt: skip


def test_the_consoles_hardware_reply_is_taken() -> None:
    parsed = parse_hardware(hardware())
    assert parsed.disk is not None and parsed.disk.serial == DISK_SERIAL
    assert parsed.nics[0].mac == MAC


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"cpus": True}, "hardware.cpus: not a whole number"),
        ({"ram_bytes": -1}, "hardware.ram_bytes"),
        ({"nics": [{"name": "eth0", "mac": "zz"}]}, "nics\\[0\\].mac: not a MAC"),
        ({"nics": [{"name": "e", "mac": MAC}] * 65}, "at most 64"),
        ({"product_uuid": "x" * 300}, "product_uuid: not a printable string"),
        ({"mac": "52:54:00:00:00:99"}, "not the MAC of any of its NICs"),
        ({"product_uuid": "another"}, "fingerprint: not the digest"),
        ({"disk": ["sda"]}, "hardware.disk: not an object"),
    ],
)
def test_a_hardware_reply_out_of_shape_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadReply, match=reason):
        parse_hardware(hardware(**changes))


def test_a_status_with_a_key_that_is_not_ed25519_is_refused() -> None:
    status = {"sealed": False, "public_key": "-----BEGIN PUBLIC KEY-----\nxx\n",
              "identity": None, "password_set": False, "self_test_passed": False,
              "firmware": "1.2.3"}  # fmt: skip
    with pytest.raises(BadReply, match=r"status\.public_key: not an Ed25519 public key"):
        parse_status(status)
    with pytest.raises(BadReply, match=r"status\.sealed"):
        parse_status(status | {"public_key": None, "sealed": "no"})


def test_a_self_test_that_says_passed_with_a_failed_step_is_refused() -> None:
    steps = [{"name": "slots", "passed": False, "detail": "missing", "figures": {}}]
    assert parse_self_test({"passed": False, "steps": steps}).failed()[0].name == "slots"
    with pytest.raises(BadReply, match="does not agree with its steps"):
        parse_self_test({"passed": True, "steps": steps})
    with pytest.raises(BadReply, match="1 to 64 steps"):
        parse_self_test({"passed": True, "steps": []})
