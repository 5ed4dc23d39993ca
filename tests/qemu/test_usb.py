"""USB drives plugged into and pulled from the booted image through QMP (`usb-storage` on the
guest's xHCI controller): vfat, exFAT and ext4 file system images made on the host, and an
ext4 whose root directory was cleared. The guest's own udev, agent, fsck and systemd see them:
each is checked, mounted by UUID under /run/orpheus/storage as a transient mount unit with
nodev,nosuid,noexec,noatime, listed in GET /api/v1/storage, and gone when pulled; the damaged
one is never mounted read-write, and an alarm says why. (Real USB hardware is the one part
emulated: QEMU's.)
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from testbed.vm import Vm
from tests.qemu.test_boot import PASSWORD, on_guest

STORAGE = "/api/v1/storage"
DRIVE_MIB = 512  # above the 64 MiB a target needs free not to be "full" (sparse files)


def make_drive(path: Path, fs_type: str, label: str) -> str:
    """A file system image; its UUID as blkid (and the guest's udev) reads it."""
    with path.open("wb") as drive:
        drive.truncate(DRIVE_MIB << 20)
    mkfs = {
        "vfat": ["mkfs.vfat", "-n", label],
        "exfat": ["mkfs.exfat", "-L", label],
        "ext4": ["mkfs.ext4", "-q", "-F", "-L", label],
    }[fs_type]
    subprocess.run([*mkfs, str(path)], check=True, capture_output=True)
    uuid = subprocess.run(
        ["blkid", "-o", "value", "-s", "UUID", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return uuid.lower()


def damage_ext4(path: Path) -> None:
    """The root directory's inode cleared and the file system marked unclean: e2fsck -p
    cannot mend that by itself."""
    for request in ("clri <2>", "ssv state 0"):
        subprocess.run(["debugfs", "-w", "-R", request, str(path)], check=True, capture_output=True)


def plug(vm: Vm, node: str, image: Path) -> None:
    answer = vm.qmp(
        "blockdev-add",
        {"node-name": node, "driver": "raw", "file": {"driver": "file", "filename": str(image)}},
    )
    assert "error" not in answer, answer
    device = {"driver": "usb-storage", "id": node, "drive": node, "bus": "xhci.0"}
    answer = vm.qmp("device_add", device)
    assert "error" not in answer, answer


def pull(vm: Vm, node: str) -> None:
    assert "error" not in vm.qmp("device_del", {"id": node})
    for _ in range(30):  # the device goes first, then its drive may be deleted
        if "error" not in vm.qmp("blockdev-del", {"node-name": node}):
            return
        time.sleep(1)
    raise AssertionError(f"the drive {node} stayed attached")


def target(vm: Vm, name: str) -> dict[str, Any] | None:
    code, listing = vm.api("GET", STORAGE, PASSWORD)
    assert code == 200, listing
    return next((t for t in listing["targets"] if t["name"] == name), None)


def wait_for(vm: Vm, name: str, present: bool, timeout: float = 180.0) -> dict[str, Any] | None:
    """The drive's target once the agent says it is settled (or gone), bounded."""
    deadline = time.monotonic() + timeout
    found = target(vm, name)
    while time.monotonic() < deadline:
        found = target(vm, name)
        settled = found is not None and found["state"] in ("mounted", "read-only", "full")
        if (present and settled) or (not present and found is None):
            return found
        time.sleep(2)
    raise AssertionError(f"{name}: {'not listed' if present else 'still listed'}: {found}")


@pytest.fixture(scope="module")
def drives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    directory = tmp_path_factory.mktemp("usb")
    made = {}
    for fs_type, label in (("vfat", "ORPHVFAT"), ("exfat", "ORPHEXFAT"), ("ext4", "ORPHEXT4")):
        image = directory / f"{fs_type}.img"
        made[fs_type] = (image, make_drive(image, fs_type, label))
    damaged = directory / "damaged.img"
    made["damaged"] = (damaged, make_drive(damaged, "ext4", "ORPHBAD"))
    damage_ext4(damaged)
    return made


@pytest.mark.parametrize("fs_type", ["vfat", "exfat", "ext4"])
def test_a_plugged_drive_is_checked_mounted_by_uuid_listed_and_gone_when_pulled(
    vm: Vm, ssh_key: Path, drives: dict[str, tuple[Path, str]], fs_type: str
) -> None:
    image, uuid = drives[fs_type]
    name = f"usb-{uuid}"
    plug(vm, f"stick-{fs_type}", image)
    listed = wait_for(vm, name, present=True)
    assert listed is not None
    assert listed["state"] == "mounted" and listed["fs_type"] == fs_type, listed
    assert listed["check"]["result"] in ("clean", "fixed"), listed
    assert listed["size_bytes"] > 0 and listed["free_bytes"] > 0
    where = f"/run/orpheus/storage/{name}"
    options = on_guest(vm, ssh_key, "findmnt", "-n", "-o", "OPTIONS", where).strip().split(",")
    assert {"nodev", "nosuid", "noexec", "noatime", "rw"} <= set(options), options
    source = on_guest(vm, ssh_key, "findmnt", "-n", "-o", "SOURCE", where).strip()
    assert source.startswith("/dev/sd"), source
    pull(vm, f"stick-{fs_type}")
    assert wait_for(vm, name, present=False) is None
    assert not on_guest(vm, ssh_key, "findmnt", "-n", where, check=False).strip()


def test_a_drive_whose_check_leaves_errors_is_never_mounted_read_write_and_alarms(
    vm: Vm, ssh_key: Path, drives: dict[str, tuple[Path, str]]
) -> None:
    """Its root directory cleared: e2fsck -p leaves that, the agent mounts it read-only, and
    the kernel refuses even that (no root inode): listed unreachable, with the alarm saying
    why. (A drive that mounts read-only is covered in tests/unit/storage/test_registry_check.py
    with a fake checker.)"""
    image, uuid = drives["damaged"]
    name = f"usb-{uuid}"
    plug(vm, "stick-damaged", image)
    try:
        listed = wait_for_check(vm, name)
        assert listed["check"]["result"] == "errors", listed
        assert listed["state"] in ("read-only", "unreachable"), listed
        code, status = vm.api("GET", "/api/v1/status", PASSWORD)
        alarms = [alarm for alarm in status["alarms"] if name in alarm]
        assert code == 200 and alarms, status["alarms"]
        assert "check found errors" in alarms[0], alarms
        where = f"/run/orpheus/storage/{name}"
        options = on_guest(vm, ssh_key, "findmnt", "-n", "-o", "OPTIONS", where, check=False)
        assert "rw" not in options.strip().split(","), options
    finally:
        pull(vm, "stick-damaged")
    assert wait_for(vm, name, present=False) is None


def wait_for_check(vm: Vm, name: str, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    found = target(vm, name)
    while time.monotonic() < deadline:
        found = target(vm, name)
        if found is not None and found.get("check") and _settled(found):
            return found
        time.sleep(2)
    raise AssertionError(f"{name}: no check result: {found}")


def _settled(found: dict[str, Any]) -> bool:
    message = str(found["message"])
    if "being checked" in message:
        return False
    return found["state"] != "unreachable" or "cannot mount" in message
