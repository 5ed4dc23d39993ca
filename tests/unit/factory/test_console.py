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
from orpheus.factory.console import UnitConsole, answer_the_station, split_arguments
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


def _step(unit: FactoryUnit, name: str) -> dict[str, Any]:
    steps = unit.console().handle("self-test", {})["steps"]
    return next(step for step in steps if step["name"] == name)  # type: ignore[no-any-return]


def test_the_self_test_reads_the_disk_tests_ram_and_reports_their_figures(
    unit: FactoryUnit,
) -> None:
    disk, ram = _step(unit, "disk"), _step(unit, "ram")
    assert disk["passed"] is True and disk["figures"]["bytes_read"] >= 16 * 1024 * 1024
    assert disk["figures"]["smart"] in ("not reported", "passed")
    assert ram["passed"] is True and ram["figures"]["bytes_tested"] == 1024 * 1024


def test_an_unreadable_disk_fails_the_self_test(unit: FactoryUnit) -> None:
    (unit.root / "dev/sda").unlink()
    disk = _step(unit, "disk")
    assert disk["passed"] is False and "cannot be read" in disk["detail"]


def test_an_unset_rtc_fails_the_self_test(unit: FactoryUnit) -> None:
    (unit.root / "sys/class/rtc/rtc0/since_epoch").write_text("86400\n")
    rtc = _step(unit, "rtc")
    assert rtc["passed"] is False and "not set" in rtc["detail"]


def test_a_boot_order_not_as_flashed_fails_the_self_test(unit: FactoryUnit) -> None:
    (unit.root / "boot/efi/EFI/BOOT/grubenv").write_text("ORDER=B A\nA_OK=1\n")
    order = _step(unit, "boot-order")
    assert order["passed"] is False and order["figures"]["ORDER"] == "B A"


def test_no_sip_port_fails_the_self_test(unit: FactoryUnit) -> None:
    (unit.root / "proc/net/udp").write_text("  sl  local_address rem_address   st\n")
    sip = _step(unit, "sip")
    assert sip["passed"] is False and "5060" in sip["detail"]


def test_the_serial_line_wrapper_takes_its_device_and_the_program_after_it() -> None:
    assert split_arguments(["/dev/ttyS0", "--then", "/sbin/agetty", "-", "vt220"]) == (
        Path("/dev/ttyS0"), ["/sbin/agetty", "-", "vt220"],
    )  # fmt: skip
    assert split_arguments([]) == (Path("/dev/ttyS0"), [])
    with pytest.raises(SystemExit, match="needs a program"):
        split_arguments(["/dev/ttyS0", "--then"])


def test_a_window_passed_this_boot_is_not_opened_again(
    unit: FactoryUnit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The getty restarts after each log-out: the window is once per boot."""
    closed = tmp_path / "closed"
    closed.touch()
    monkeypatch.setattr("orpheus.factory.console.load_config", lambda: _config_of(unit))
    opened: list[Path] = []
    monkeypatch.setattr("orpheus.factory.console.os.open", lambda path, *_: opened.append(path))
    answer_the_station(Path("/dev/ttyS0"), closed)
    assert opened == []


def _config_of(unit: FactoryUnit) -> Any:
    settings = unit.settings()

    class Config:
        data_dir = settings.data_dir
        sysfs_dir = settings.sysfs
        factory_public_key = settings.factory_key
        release_file = settings.release_file
        ami_port = unit.ami_port

    return Config()
