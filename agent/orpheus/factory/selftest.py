"""The unit's self-test before it is sealed: each step a result, a reason and its figures.

Steps: the data partition writable with free space, both firmware slots present, Asterisk
answering on its AMI port, every NIC with a MAC. A failed step keeps the unit unsealed.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orpheus.factory.unit_hardware import physical_nics

SLOT_LABELS = ("rootfs-a", "rootfs-b")  # rootfs_overlay/etc/repart.d
MIN_FREE_BYTES = 64 * 1024 * 1024
AMI_BANNER = b"Asterisk Call Manager/"


@dataclass(frozen=True)
class Step:
    name: str
    passed: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SelfTestSettings:
    data_dir: Path
    sysfs: Path
    dev_dir: Path = Path("/dev")
    ami_address: tuple[str, int] = ("127.0.0.1", 5038)
    min_free_bytes: int = MIN_FREE_BYTES
    timeout: float = 3.0


def data_step(settings: SelfTestSettings) -> Step:
    probe = settings.data_dir / f".orpheus-selftest-{secrets.token_hex(4)}"
    sample = secrets.token_bytes(4096)
    try:
        with probe.open("wb") as out:
            out.write(sample)
            out.flush()
            os.fsync(out.fileno())
        written = probe.read_bytes() == sample
        stat = os.statvfs(settings.data_dir)
    except OSError as error:
        return Step("data", False, f"{settings.data_dir} is not writable: {error.strerror}")
    finally:
        probe.unlink(missing_ok=True)
    free, total = stat.f_bavail * stat.f_frsize, stat.f_blocks * stat.f_frsize
    figures = {"free_bytes": free, "total_bytes": total, "min_free_bytes": settings.min_free_bytes}
    if not written:
        return Step("data", False, "what was written to /data read back differently", figures)
    if free < settings.min_free_bytes:
        return Step("data", False, f"only {free} bytes free on /data", figures)
    return Step("data", True, "writable, enough free space", figures)


def slots_step(settings: SelfTestSettings) -> Step:
    by_label = settings.dev_dir / "disk/by-partlabel"
    found = {label: (by_label / label).exists() for label in SLOT_LABELS}
    figures = {label: str((by_label / label).resolve()) for label, ok in found.items() if ok}
    missing = [label for label, ok in found.items() if not ok]
    if missing:
        return Step("slots", False, f"firmware slot partition missing: {', '.join(missing)}")
    return Step("slots", True, "both firmware slots present", figures)


def asterisk_step(settings: SelfTestSettings) -> Step:
    host, port = settings.ami_address
    figures: dict[str, Any] = {"ami": f"{host}:{port}"}
    try:
        with socket.create_connection((host, port), timeout=settings.timeout) as connection:
            banner = connection.recv(128).split(b"\r\n")[0]
    except OSError as error:
        return Step("asterisk", False, f"AMI on {host}:{port} does not answer: {error}", figures)
    figures["banner"] = banner.decode(errors="replace")[:80]
    if not banner.startswith(AMI_BANNER):
        return Step("asterisk", False, f"{host}:{port} is not Asterisk's AMI", figures)
    return Step("asterisk", True, "AMI answers", figures)


def nics_step(settings: SelfTestSettings) -> Step:
    nics = physical_nics(settings.sysfs)
    figures = {"nics": {nic.name: nic.mac for nic in nics}}
    if not nics:
        return Step("nics", False, "no network interface", figures)
    blank = [n.name for n in nics if not n.mac or n.mac == "00:00:00:00:00:00"]
    if blank:
        return Step("nics", False, f"no MAC address on {', '.join(blank)}", figures)
    return Step("nics", True, f"{len(nics)} NIC(s), each with its MAC", figures)


STEPS: tuple[Callable[[SelfTestSettings], Step], ...] = (
    data_step,
    slots_step,
    asterisk_step,
    nics_step,
)


def run_self_test(settings: SelfTestSettings) -> dict[str, Any]:
    steps = [step(settings) for step in STEPS]
    return {"passed": all(s.passed for s in steps), "steps": [asdict(s) for s in steps]}
