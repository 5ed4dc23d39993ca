"""The unit's factory console (orpheus.factory.console) on a fake unit: each request, and
each refusal leaving nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from orpheus.auth import PasswordStore
from orpheus.factory.console import UnitConsole
from orpheus.factory.protocol import ConsoleClient, Refused
from orpheus.licensing.factory_signature import sign_identity
from testbed.factory_unit import (
    FactoryUnit,
    Hardware,
    ami_banner,
    console_on_pty,
    factory_key_pair,
    lay_out,
)


@pytest.fixture
def unit(tmp_path: Path) -> Iterator[FactoryUnit]:
    hardware = Hardware()
    lay_out(tmp_path / "unit", hardware)
    private, public = factory_key_pair(tmp_path)
    with ami_banner() as port:
        yield FactoryUnit(tmp_path / "unit", hardware, port, public, private)


def signed(unit: FactoryUnit, console: UnitConsole, **changes: Any) -> dict[str, Any]:
    hardware = console.handle("hardware", {})
    public_key = console.handle("keygen", {})["public_key"]
    fields = {
        "serial": "ORP-MINI-0001", "board": "mini", "tier": "mini", "mac": hardware["mac"],
        "macs": [nic["mac"] for nic in hardware["nics"]],
        "product_uuid": hardware["product_uuid"], "disk_serial": hardware["disk"]["serial"],
        "fingerprint": hardware["fingerprint"], "manufactured": "2026-12-02",
        "public_key": public_key,
    } | changes  # fmt: skip
    key = load_pem_private_key(unit.factory_private.read_bytes(), password=None)
    return sign_identity(fields, key)  # type: ignore[arg-type]


def test_hardware_is_read_from_sysfs_and_proc(unit: FactoryUnit) -> None:
    facts = unit.console().handle("hardware", {})
    assert facts["product_uuid"] == unit.hardware.product_uuid
    assert facts["disk"] == {
        "name": "sda", "model": "FACTORY SSD 16G", "size_bytes": 16_013_942_784,
        "serial": "SSD-0001",
    }  # fmt: skip
    assert [n["mac"] for n in facts["nics"]] == list(unit.hardware.macs)
    assert (facts["ram_bytes"], facts["cpus"]) == (unit.hardware.ram_bytes, 2)


def test_the_key_pair_is_made_once_and_its_private_half_stays_root_only(
    unit: FactoryUnit,
) -> None:
    console = unit.console()
    first = console.handle("keygen", {})["public_key"]
    assert first.startswith("-----BEGIN PUBLIC KEY-----")
    assert unit.console().handle("keygen", {})["public_key"] == first
    key_file = unit.state_dir / "unit-identity.key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_full_provisioning_seals_and_closes_the_console(unit: FactoryUnit) -> None:
    console = unit.console()
    document = signed(unit, console)
    assert console.handle("write-identity", {"identity": document})["written"] is True
    assert console.handle("write-identity", {"identity": document})["written"] is False
    console.handle("set-password", {"password": "Station-Chose-This-1"})
    assert console.handle("self-test", {})["passed"] is True
    assert console.handle("seal", {}) == {"sealed": True, "serial": "ORP-MINI-0001"}
    assert json.loads((unit.state_dir / "identity.json").read_text()) == document
    store = PasswordStore(unit.state_dir)
    assert store.check("admin", "Station-Chose-This-1") and store.must_change()
    with pytest.raises(Refused, match="sealed"):
        console.handle("status", {})
    assert unit.console().sealed


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"fingerprint": "0" * 32}, "other hardware"),
        ({"tier": "lite"}, "base"),
        ({"board": "v5"}, "unknown board"),
        ({"serial": "bad serial\n"}, "bad serial"),
        ({"public_key": "someone else's"}, "this unit's key"),
    ],
)
def test_an_identity_not_for_this_unit_is_refused(
    unit: FactoryUnit, change: dict[str, Any], reason: str
) -> None:
    console = unit.console()
    with pytest.raises(Refused, match=reason):
        console.handle("write-identity", {"identity": signed(unit, console, **change)})
    assert not (unit.state_dir / "factory/identity.json").exists()


def test_an_unsigned_or_altered_identity_is_refused(unit: FactoryUnit) -> None:
    console = unit.console()
    document = signed(unit, console)
    altered = document | {"serial": "ORP-MINI-9999"}
    with pytest.raises(Refused, match="altered"):
        console.handle("write-identity", {"identity": altered})
    unsigned = {k: v for k, v in document.items() if k != "factory_signature"}
    with pytest.raises(Refused, match="unsigned"):
        console.handle("write-identity", {"identity": unsigned})
    assert not (unit.state_dir / "factory/identity.json").exists()


def test_a_second_identity_is_refused(unit: FactoryUnit) -> None:
    console = unit.console()
    console.handle("write-identity", {"identity": signed(unit, console)})
    other = signed(unit, console, serial="ORP-MINI-0002")
    with pytest.raises(Refused, match="serial ORP-MINI-0001: it is written once"):
        console.handle("write-identity", {"identity": other})


def test_no_seal_without_a_passed_self_test(unit: FactoryUnit) -> None:
    (unit.root / "dev/disk/by-partlabel/rootfs-b").unlink()
    console = unit.console()
    console.handle("write-identity", {"identity": signed(unit, console)})
    console.handle("set-password", {"password": "Station-Chose-This-1"})
    with pytest.raises(Refused, match="self-test has not passed"):
        console.handle("seal", {})
    result = console.handle("self-test", {})
    assert result["passed"] is False
    slots = next(step for step in result["steps"] if step["name"] == "slots")
    assert slots["passed"] is False and "rootfs-b" in slots["detail"]
    with pytest.raises(Refused, match="self-test has not passed"):
        console.handle("seal", {})
    assert not (unit.state_dir / "identity.json").exists()


def test_a_silent_asterisk_fails_the_self_test(unit: FactoryUnit) -> None:
    unit.ami_port = 1  # nothing listens there
    steps = unit.console().handle("self-test", {})["steps"]
    asterisk = next(step for step in steps if step["name"] == "asterisk")
    assert asterisk["passed"] is False and "does not answer" in asterisk["detail"]


@pytest.mark.parametrize("password", ["short", "has space in it!", "x" * 129, "new\nline12345"])
def test_a_weak_or_odd_password_is_refused(unit: FactoryUnit, password: str) -> None:
    with pytest.raises(Refused, match="12-128 printable"):
        unit.console().handle("set-password", {"password": password})
    assert not PasswordStore(unit.state_dir).is_set()


def test_no_shell_and_no_unknown_request(unit: FactoryUnit) -> None:
    with pytest.raises(Refused, match="unknown request 'shell'"):
        unit.console().handle("shell", {"command": "id"})


def test_over_a_pty_the_console_ends_once_sealed(unit: FactoryUnit) -> None:
    """The station's requests through pyserial and the protocol: the console's serve() returns
    after the seal (and its grace time), so nothing answers on the line any more."""
    with console_on_pty(unit) as line:
        port = serial.serial_for_url(line.port, baudrate=115200, timeout=0.05)
        client = ConsoleClient(port, timeout=2.0)
        assert client.call("status")["sealed"] is False
        console = unit.consoles[0]
        client.call("write-identity", {"identity": signed(unit, console)})
        client.call("set-password", {"password": "Station-Chose-This-1"})
        assert client.call("self-test")["passed"] is True
        assert client.call("seal")["sealed"] is True
        line.thread.join(timeout=10)
        assert not line.thread.is_alive()
        port.close()
