"""The station's reading of a unit's replies: every field typed, bounded and printable.

The unit on the other end of the serial line is not trusted: a reply that does not have the
shape the console (factory/console.py) sends raises BadReply with one line, and nothing of it
reaches the records, the identity or a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from orpheus.factory.unit_hardware import Disk, Nic, UnitHardware
from orpheus.licensing.identity import Hardware

MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
FINGERPRINT = re.compile(r"[0-9a-f]{32}")
MAX_NICS = 64
MAX_TEXT = 256
MAX_KEY = 1024
MAX_STEPS = 64


class BadReply(ValueError):
    """A unit's reply that is not what the console sends (one line)."""


def _text(value: object, where: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise BadReply(f"{where}: not a printable string of at most {limit} characters")
    return value


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _number(value: object, where: str, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
        raise BadReply(f"{where}: not a whole number from 0 to {most}")
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise BadReply(f"{where}: not true or false")
    return value


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadReply(f"{where}: not an object")
    return value


def _mac(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not MAC.fullmatch(value):
        raise BadReply(f"{where}: not a MAC address")
    return value


def parse_public_key(value: object, where: str = "public key") -> str:
    """The unit's Ed25519 public key, as PEM text exactly as the unit sent it."""
    text = value if isinstance(value, str) and len(value) <= MAX_KEY else None
    try:
        key = load_pem_public_key(text.encode()) if text else None
    except (ValueError, UnicodeError):
        key = None
    if text is None or not isinstance(key, Ed25519PublicKey):
        raise BadReply(f"{where}: not an Ed25519 public key in PEM")
    return text


def _disk(value: object) -> Disk | None:
    if value is None:
        return None
    disk = _table(value, "hardware.disk")
    return Disk(
        name=_text(disk.get("name"), "hardware.disk.name"),
        model=_optional_text(disk.get("model"), "hardware.disk.model"),
        size_bytes=_number(disk.get("size_bytes"), "hardware.disk.size_bytes", 1 << 60),
        serial=_optional_text(disk.get("serial"), "hardware.disk.serial"),
    )


def _nics(value: object) -> tuple[Nic, ...]:
    if not isinstance(value, list) or len(value) > MAX_NICS:
        raise BadReply(f"hardware.nics: not a list of at most {MAX_NICS}")
    nics = []
    for index, raw in enumerate(value):
        nic = _table(raw, f"hardware.nics[{index}]")
        name = _text(nic.get("name"), f"hardware.nics[{index}].name", 15)
        nics.append(Nic(name, _mac(nic.get("mac"), f"hardware.nics[{index}].mac")))
    return tuple(nics)


def parse_hardware(value: object) -> UnitHardware:
    raw = _table(value, "hardware")
    hardware = UnitHardware(
        product_uuid=_optional_text(raw.get("product_uuid"), "hardware.product_uuid"),
        disk=_disk(raw.get("disk")),
        nics=_nics(raw.get("nics")),
        ram_bytes=_number(raw.get("ram_bytes"), "hardware.ram_bytes", 1 << 50),
        cpus=_number(raw.get("cpus"), "hardware.cpus", 4096),
        mac=_mac(raw.get("mac"), "hardware.mac"),
        fingerprint=_text(raw.get("fingerprint"), "hardware.fingerprint", 32),
    )
    disk_serial = hardware.disk.serial if hardware.disk else None
    facts = Hardware(hardware.mac, hardware.product_uuid, disk_serial)
    if hardware.fingerprint != facts.fingerprint:
        raise BadReply("hardware.fingerprint: not the digest of the DMI UUID and disk serial")
    if hardware.mac is not None and hardware.mac not in {nic.mac for nic in hardware.nics}:
        raise BadReply("hardware.mac: not the MAC of any of its NICs")
    return hardware


@dataclass(frozen=True)
class UnitStatus:
    sealed: bool
    public_key: str | None
    identity: dict[str, Any] | None  # written, not yet sealed
    password_set: bool
    self_test_passed: bool
    firmware: str | None


def parse_status(value: object) -> UnitStatus:
    raw = _table(value, "status")
    key, identity = raw.get("public_key"), raw.get("identity")
    return UnitStatus(
        sealed=_flag(raw.get("sealed"), "status.sealed"),
        public_key=None if key is None else parse_public_key(key, "status.public_key"),
        identity=None if identity is None else _table(identity, "status.identity"),
        password_set=_flag(raw.get("password_set"), "status.password_set"),
        self_test_passed=_flag(raw.get("self_test_passed"), "status.self_test_passed"),
        firmware=_optional_text(raw.get("firmware"), "status.firmware"),
    )


@dataclass(frozen=True)
class TestStep:
    name: str
    passed: bool
    detail: str
    figures: dict[str, Any]


@dataclass(frozen=True)
class SelfTest:
    passed: bool
    steps: tuple[TestStep, ...]

    def failed(self) -> list[TestStep]:
        return [step for step in self.steps if not step.passed]


def parse_self_test(value: object) -> SelfTest:
    raw = _table(value, "self-test")
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not 0 < len(steps_raw) <= MAX_STEPS:
        raise BadReply(f"self-test.steps: not a list of 1 to {MAX_STEPS} steps")
    steps = []
    for index, item in enumerate(steps_raw):
        step = _table(item, f"self-test.steps[{index}]")
        steps.append(
            TestStep(
                name=_text(step.get("name"), f"self-test.steps[{index}].name", 32),
                passed=_flag(step.get("passed"), f"self-test.steps[{index}].passed"),
                detail=_text(step.get("detail"), f"self-test.steps[{index}].detail"),
                figures=_table(step.get("figures", {}), f"self-test.steps[{index}].figures"),
            )
        )
    passed = _flag(raw.get("passed"), "self-test.passed")
    if passed != all(step.passed for step in steps):
        raise BadReply("self-test.passed: does not agree with its steps")
    return SelfTest(passed, tuple(steps))


def expect(result: dict[str, Any], op: str, **wanted: object) -> None:
    """The reply's fields are the values wanted (write-identity, seal)."""
    for name, value in wanted.items():
        if result.get(name) != value:
            raise BadReply(f"{op}: the unit answered {name}={result.get(name)!r}, not {value!r}")
