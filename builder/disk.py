"""The disk image of one board, assembled by genimage from image.cfg, and its bmap."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

from builder import bundle
from builder.context import BuildContext
from builder.reproducible import clamp_times
from builder.run import run

log = logging.getLogger("builder")

# The slots' image as image.cfg names it.
SLOT_IMAGE = "rootfs.ext4"


def _tmp(path: Path) -> Path:
    """Everything is written under a temporary name and renamed once complete."""
    return path.with_name(path.name + ".tmp")


def _uuid(ctx: BuildContext, what: str) -> str:
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"orpheus-image:{ctx.board.name}:{ctx.version}:{what}")
    )


def fixed_identifiers(ctx: BuildContext) -> dict[str, str]:
    """What genimage, mkdosfs and mke2fs would otherwise draw at random or take from the
    clock, derived from the board and version instead: the same build makes the same bytes.
    (Units tell themselves apart by the identity and machine-id made at first boot.)"""
    return {
        "DISK_UUID": _uuid(ctx, "disk"),
        "ESP_PART_UUID": _uuid(ctx, "esp"),
        "ROOTFS_A_PART_UUID": _uuid(ctx, "rootfs-a"),
        "ROOTFS_B_PART_UUID": _uuid(ctx, "rootfs-b"),
        "DATA_PART_UUID": _uuid(ctx, "data"),
        "DATA_FS_UUID": _uuid(ctx, "data-fs"),
        "ESP_VOLUME_ID": _uuid(ctx, "esp-volume")[:8],
        "BUILD_EPOCH": str(ctx.build_epoch),
        # mke2fs and debugfs date the data filesystem by this, mtools its FAT entries.
        "E2FSPROGS_FAKE_TIME": str(ctx.build_epoch),
        "SOURCE_DATE_EPOCH": str(ctx.build_epoch),
    }


def assemble(ctx: BuildContext, rootfs: Path, esp: Path) -> Path:
    """The board's disk image: its slots hold the update bundle's ext4 of rootfs (the same
    bytes as the build's bundle), its ESP the tree esp."""
    work = ctx.board_dir / "genimage"
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("tmp", "out", "input", "root"):
        (work / sub).mkdir(parents=True)
    log.info("%s: the slots' ext4 image (the update bundle's)", ctx.board.name)
    bundle.make_slot_image(ctx, rootfs, work / "input" / SLOT_IMAGE)
    clamp_times(esp, ctx.build_epoch)  # the FAT's entries are dated by the files' times
    final = ctx.board_dir / ctx.image_name
    env = {
        **os.environ,
        "ESP_DIR": str(esp),
        "IMAGE_NAME": _tmp(final).name,
        "ESP_SIZE": ctx.board.esp_size,
        "SLOT_SIZE": ctx.board.slot_size,
        "DATA_SIZE": ctx.board.data_size,
        **fixed_identifiers(ctx),
    }
    log.info("%s: genimage", ctx.board.name)
    run(
        ["genimage", "--config", ctx.source_dir / "image.cfg",
         "--rootpath", work / "root", "--tmppath", work / "tmp",
         "--inputpath", work / "input", "--outputpath", work / "out"],
        env=env,
        log_file=ctx.log_dir / f"genimage-{ctx.board.name}.log",
    )  # fmt: skip
    _tmp(final).unlink(missing_ok=True)
    (work / "out" / _tmp(final).name).rename(_tmp(final))
    shutil.rmtree(work)
    return _tmp(final)


def write_bmap(image: Path, final: Path) -> Path:
    bmap = final.with_name(final.name + ".bmap")
    run(["bmaptool", "create", "-o", _tmp(bmap), image])
    return _tmp(bmap)


def hypervisor_images(ctx: BuildContext, image: Path) -> list[Path]:
    """qcow2 (Xen, KVM) and vmdk (VMware) disks of the board's virtual size."""
    if not ctx.board.virtual_disk:
        return []
    stem = ctx.board_dir / ctx.image_name.removesuffix(".img")
    qcow2, vmdk = Path(f"{stem}.qcow2"), Path(f"{stem}.vmdk")
    log.info("%s: qcow2 and vmdk of %s", ctx.board.name, ctx.board.virtual_disk)
    run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", image, _tmp(qcow2)])
    run(["qemu-img", "resize", "-f", "qcow2", _tmp(qcow2), ctx.board.virtual_disk])
    run(["qemu-img", "convert", "-f", "qcow2", "-O", "vmdk", "-o", "adapter_type=lsilogic",
         _tmp(qcow2), _tmp(vmdk)])  # fmt: skip
    return [_tmp(qcow2), _tmp(vmdk)]


def publish(paths: list[Path]) -> list[Path]:
    """Renames the finished files to their final names, all at the end."""
    finals = []
    for path in paths:
        final = path.with_name(path.name.removesuffix(".tmp"))
        path.rename(final)
        finals.append(final)
    return finals
