"""The `vm` board: the same root filesystem shipped as VMware and Xen/KVM disks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.boards import load_board, size_bytes
from testbed.paths import SOURCE_DIR
from testbed.vm import find_image

pytestmark = pytest.mark.image


@pytest.fixture(scope="module")
def vm_board_dir(rootfs: Path) -> Path:
    """Builds the vm board (the root filesystem is already built: genimage and qemu-img only)."""
    subprocess.run(
        [sys.executable, "-m", "builder", "image", "--board", "vm"],
        cwd=SOURCE_DIR, check=True, capture_output=True, timeout=1200,
    )  # fmt: skip
    return SOURCE_DIR / "build/vm"


def disk_info(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["qemu-img", "info", "--output=json", str(path)], capture_output=True, check=True
    ).stdout
    return json.loads(out)


def test_qcow2_and_vmdk_have_the_virtual_disk_size(vm_board_dir: Path) -> None:
    image = find_image("vm", vm_board_dir.parent)
    stem = image.name.removesuffix(".img")
    expected = size_bytes(load_board("vm").virtual_disk or "0")
    qcow2 = disk_info(vm_board_dir / f"{stem}.qcow2")
    vmdk = disk_info(vm_board_dir / f"{stem}.vmdk")
    assert qcow2["format"] == "qcow2" and qcow2["virtual-size"] == expected
    assert vmdk["format"] == "vmdk" and vmdk["virtual-size"] == expected
    assert "backing-filename" not in qcow2, "the qcow2 must stand alone"


def test_vm_checksums_cover_the_hypervisor_disks(vm_board_dir: Path) -> None:
    listed = (vm_board_dir / "SHA256SUMS").read_text()
    assert ".qcow2" in listed and ".vmdk" in listed
    subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=vm_board_dir, check=True)


def test_vm_manifest_names_its_tier(vm_board_dir: Path) -> None:
    manifest = json.loads((vm_board_dir / "manifest.json").read_text())
    assert manifest["board"] == "vm" and manifest["tier"] == "vm"
    assert any(name.endswith(".vmdk") for name in manifest["files"])
