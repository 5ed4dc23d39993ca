"""The build's outputs for one board: image, bmap, checksums, manifest, partition table."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from builder import bundle, slotindex
from builder.boards import load_board, size_bytes
from builder.context import BuildContext

pytestmark = pytest.mark.image

LABELS = ["esp", "rootfs-a", "rootfs-b", "data"]


def test_published_files_are_named_by_board_and_version(
    board: str, board_dir: Path, image: Path, manifest: dict[str, object]
) -> None:
    version = manifest["version"]
    assert image.name == f"orpheus-{board}-{version}.img"
    assert (board_dir / f"{image.name}.bmap").is_file()
    assert not list(board_dir.glob("*.tmp")), "a temporary file was left behind"


def test_sha256sums_verify(board_dir: Path, image: Path) -> None:
    listed = (board_dir / "SHA256SUMS").read_text()
    assert image.name in listed and "manifest.json" in listed and ".bmap" in listed
    subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=board_dir, check=True)


def test_bmap_copy_reproduces_the_image(image: Path, tmp_path: Path) -> None:
    copy = tmp_path / "flashed.img"
    subprocess.run(
        ["bmaptool", "-q", "copy", "--bmap", f"{image}.bmap", str(image), str(copy)], check=True
    )
    assert copy.stat().st_size == image.stat().st_size
    subprocess.run(["cmp", str(image), str(copy)], check=True)


def test_partition_table_is_gpt_with_a_b_slots_and_data(board: str, image: Path) -> None:
    table = json.loads(subprocess.run(
        ["sfdisk", "--json", str(image)], capture_output=True, text=True, check=True
    ).stdout)["partitiontable"]  # fmt: skip
    assert table["label"] == "gpt"
    parts = table["partitions"]
    assert [p["name"] for p in parts] == LABELS
    spec = load_board(board)
    sector = table.get("sectorsize", 512)
    sizes = {p["name"]: p["size"] * sector for p in parts}
    assert sizes["esp"] == size_bytes(spec.esp_size) >= 128 * 1024**2
    assert sizes["rootfs-a"] == sizes["rootfs-b"] == size_bytes(spec.slot_size)
    assert parts[0]["type"] == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"  # EFI system partition


def test_manifest_lists_asterisk_and_every_package(board: str, manifest: dict[str, object]) -> None:
    packages = {p["name"]: p["version"] for p in manifest["packages"]}  # type: ignore[attr-defined]
    assert manifest["board"] == board
    assert manifest["asterisk_version"] == packages["asterisk"]
    assert str(manifest["asterisk_version"]).startswith("1:22.") or str(
        manifest["asterisk_version"]
    ).startswith("22.")
    for name in ("systemd", "linux-image-amd64", "rauc", "keepalived", "snmpd", "python3-bottle",
                 "tcpdump"):  # fmt: skip
        assert name in packages, f"{name} missing from the manifest"
    assert len(packages) > 200
    for key in ("version", "build_date", "git_commit", "agent_version"):
        assert manifest[key], f"manifest has no {key}"


def test_hypervisor_images_only_for_vm(board: str, board_dir: Path) -> None:
    extra = sorted(p.suffix for p in board_dir.glob("orpheus-*") if p.suffix in (".qcow2", ".vmdk"))
    assert extra == ([".qcow2", ".vmdk"] if board == "vm" else [])


def _slot_bytes(image: Path, slot: str, length: int) -> str:
    part = slotindex.partitions(image)[slot]
    digest = hashlib.sha256()
    with image.open("rb") as handle:
        handle.seek(part.offset)
        for _ in range(length // (1024 * 1024)):
            digest.update(handle.read(1024 * 1024))
    return digest.hexdigest()


def test_the_slots_hold_the_update_bundles_own_image(
    board: str, image: Path, rootfs: Path, manifest: dict[str, object], tmp_path: Path
) -> None:
    """Slot A and B are the ext4 image that `make bundle` of this build carries (made again
    here from the same tree, version and epoch), so a unit fresh from the factory holds every
    block of its own release; the factory status RAUC reads names that image's checksum."""
    epoch = int(datetime.fromisoformat(str(manifest["build_date"])).timestamp())
    ctx = BuildContext(load_board(board), str(manifest["version"]), epoch, "", tmp_path)
    bundle_image = tmp_path / "rootfs.ext4"
    length = bundle.make_slot_image(ctx, rootfs, bundle_image)
    assert length == bundle_image.stat().st_size < size_bytes(load_board(board).slot_size)
    expected = hashlib.sha256(bundle_image.read_bytes()).hexdigest()
    assert _slot_bytes(image, "rootfs-a", length) == expected
    assert _slot_bytes(image, "rootfs-b", length) == expected
    assert slotindex.ext4_length(image, slotindex.partitions(image)["rootfs-a"]) == length
    data = tmp_path / "data.ext4"
    slotindex.copy_out(image, slotindex.partitions(image)["data"], data)
    status = subprocess.run(
        ["debugfs", "-R", "cat rauc/central.raucs", str(data)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"sha256={expected}" in status and f"size={length}" in status
