"""The unit's self-test before it is sealed: each step a result, a reason and its figures.

Steps: the data partition writable with free space, a sample of the disk read back (SMART
health where the disk reports it), a bounded memory test, the RTC running, both firmware
slots present and the boot order as flashed, Asterisk answering on its AMI and SIP ports,
every NIC with a MAC. A failed step keeps the unit unsealed.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orpheus.factory.unit_hardware import physical_nics
from orpheus.licensing.identity import data_disk
from orpheus.runner import CommandError, run

SLOT_LABELS = ("rootfs-a", "rootfs-b")  # rootfs_overlay/etc/repart.d
MIN_FREE_BYTES = 64 * 1024 * 1024
AMI_BANNER = b"Asterisk Call Manager/"
SIP_PORT = 5060
# The disk sample: this many 1 MiB reads spread over the whole disk.
DISK_SAMPLES = 32
SAMPLE_BYTES = 1024 * 1024
# The memory test: patterns written over and read back from this much RAM (a Mini has 2 GiB).
RAM_TEST_BYTES = 64 * 1024 * 1024
RAM_PATTERNS = (b"\x55", b"\xaa", b"\x00", b"\xff")
# A battery-backed RTC set at the factory is past this (2026-01-01); an unset one reads 1970.
RTC_EARLIEST = 1767225600
# RAUC's GRUB environment as flashed: slot A first and good (update/grub.cfg).
GRUBENV = Path("/boot/efi/EFI/BOOT/grubenv")


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
    proc: Path = Path("/proc")
    grubenv: Path = GRUBENV
    ram_test_bytes: int = RAM_TEST_BYTES
    smartctl: str = "/usr/sbin/smartctl"


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


def disk_step(settings: SelfTestSettings) -> Step:
    """Reads DISK_SAMPLES MiB spread over the data disk (a disk that cannot be read end to end
    fails here, not in the field), and its SMART health where it reports one."""
    disk = data_disk(settings.sysfs, settings.data_dir)
    if disk is None:
        return Step("disk", False, f"no disk found under {settings.data_dir}")
    device = settings.dev_dir / disk.name
    started = time.monotonic()
    try:
        read = _read_samples(device)
    except OSError as error:
        return Step("disk", False, f"{device} cannot be read: {error.strerror}")
    seconds = max(time.monotonic() - started, 1e-6)
    figures: dict[str, Any] = {
        "device": str(device), "bytes_read": read,
        "read_mb_per_s": round(read / seconds / 1e6, 1), "smart": _smart_health(settings, device),
    }  # fmt: skip
    if figures["smart"] == "failed":
        return Step("disk", False, "the disk's SMART health check failed", figures)
    return Step("disk", True, f"{read // SAMPLE_BYTES} MiB read across the disk", figures)


def _read_samples(device: Path) -> int:
    fd = os.open(device, os.O_RDONLY)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        step = max(size // DISK_SAMPLES, SAMPLE_BYTES)
        total = 0
        for offset in range(0, max(size - SAMPLE_BYTES, 1), step):
            os.posix_fadvise(
                fd, offset, SAMPLE_BYTES, os.POSIX_FADV_DONTNEED
            )  # the disk, not the cache
            total += len(os.pread(fd, SAMPLE_BYTES, offset))
        return total
    finally:
        os.close(fd)


def _smart_health(settings: SelfTestSettings, device: Path) -> str:
    """passed, failed, or not reported (virtual disks, SD cards, no smartctl)."""
    if not Path(settings.smartctl).exists():
        return "not reported"
    try:
        out = run([settings.smartctl, "-H", "-j", str(device)], timeout=30).stdout
    except CommandError as error:
        out = error.stdout or ""
    try:
        passed = json.loads(out)["smart_status"]["passed"]
    except (ValueError, KeyError, TypeError):
        return "not reported"
    return "passed" if passed is True else "failed"


def ram_step(settings: SelfTestSettings) -> Step:
    """Each pattern written over ram_test_bytes and read back: bounded, so it proves the
    RAM answers, not that every cell is sound (a full test is memtest's job at the bench)."""
    size = settings.ram_test_bytes
    started = time.monotonic()
    try:
        block = bytearray(size)
        for pattern in RAM_PATTERNS:
            expected = pattern * size
            block[:] = expected
            if block != expected:
                return Step("ram", False, f"pattern {pattern.hex()} read back differently")
    except MemoryError:
        return Step("ram", False, f"cannot allocate {size} bytes for the memory test")
    figures: dict[str, Any] = {"bytes_tested": size, "patterns": len(RAM_PATTERNS)}
    figures["seconds"] = round(time.monotonic() - started, 2)
    return Step("ram", True, f"{size // (1024 * 1024)} MiB tested", figures)


def rtc_step(settings: SelfTestSettings) -> Step:
    rtc = settings.sysfs / "class/rtc/rtc0/since_epoch"
    try:
        since_epoch = int(rtc.read_text().strip())
    except (OSError, ValueError):
        return Step("rtc", False, "no readable real-time clock (rtc0)")
    figures = {"rtc": since_epoch, "off_by_seconds": round(since_epoch - time.time())}
    if since_epoch < RTC_EARLIEST:
        return Step("rtc", False, "the real-time clock is not set (battery?)", figures)
    return Step("rtc", True, "the real-time clock runs", figures)


def boot_order_step(settings: SelfTestSettings) -> Step:
    try:
        text = settings.grubenv.read_text(errors="replace")
    except OSError as error:
        return Step("boot-order", False, f"{settings.grubenv}: {error.strerror}")
    env = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    figures = {key: env.get(key) for key in ("ORDER", "A_OK", "B_OK")}
    if (env.get("ORDER") or "").split()[:1] != ["A"] or env.get("A_OK") != "1":
        return Step("boot-order", False, "the boot order is not slot A first, as flashed", figures)
    return Step("boot-order", True, "slot A first and good, as flashed", figures)


def sip_step(settings: SelfTestSettings) -> Step:
    """Asterisk's SIP port bound (UDP, any address), from the kernel's socket tables."""
    bound = [name for name in ("udp", "udp6") if _udp_port_bound(settings.proc / "net" / name)]
    figures = {"port": SIP_PORT, "bound": bound}
    if not bound:
        return Step("sip", False, f"nothing listens on UDP {SIP_PORT}", figures)
    return Step("sip", True, f"UDP {SIP_PORT} bound", figures)


def _udp_port_bound(table: Path) -> bool:
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return False
    local = (line.split()[1] for line in lines if len(line.split()) > 1)
    return any(address.rsplit(":", 1)[-1] == f"{SIP_PORT:04X}" for address in local)


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
    disk_step,
    ram_step,
    rtc_step,
    slots_step,
    boot_order_step,
    asterisk_step,
    sip_step,
    nics_step,
)


def run_self_test(settings: SelfTestSettings) -> dict[str, Any]:
    steps = [step(settings) for step in STEPS]
    return {"passed": all(s.passed for s in steps), "steps": [asdict(s) for s in steps]}
