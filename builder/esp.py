"""The EFI system partition of one board: GRUB, its A/B script, and the environment block."""

from __future__ import annotations

import shutil
from pathlib import Path

from builder.context import BuildContext
from builder.rootfs import GRUB_EFI

GRUBENV_SIZE = 1024
# As flashed: slot A first; slot B holds the same firmware and is a good fallback.
INITIAL_BOOT_STATE = {"ORDER": "A B", "A_OK": "1", "B_OK": "1", "A_TRY": "0", "B_TRY": "0"}
# Common to every board; the board adds its console settings.
# panic=10: a kernel that panics (or a firmware whose init dies) reboots soon, and GRUB
# counts the attempt, so a slot that never reaches userspace is abandoned in about a minute.
BASE_CMDLINE = "ro rootwait panic=10"


def grubenv_block(values: dict[str, str]) -> bytes:
    """A GRUB environment block: a 1 KiB file that GRUB rewrites in place."""
    body = "# GRUB Environment Block\n" + "".join(f"{k}={v}\n" for k, v in values.items())
    data = body.encode()
    if len(data) > GRUBENV_SIZE:
        raise ValueError("GRUB environment block overflows 1 KiB")
    return data + b"#" * (GRUBENV_SIZE - len(data))


def kernel_cmdline(ctx: BuildContext) -> str:
    return f"{BASE_CMDLINE} orpheus.board={ctx.board.name} {ctx.board.cmdline}".strip()


def build(ctx: BuildContext, rootfs: Path) -> Path:
    esp = ctx.board_dir / "esp"
    shutil.rmtree(esp, ignore_errors=True)
    boot = esp / "EFI/BOOT"
    boot.mkdir(parents=True)
    shutil.copy(rootfs / GRUB_EFI, boot / "BOOTX64.EFI")
    template = (ctx.source_dir / "update/grub.cfg").read_text()
    (boot / "grub.cfg").write_text(template.replace("@CMDLINE@", kernel_cmdline(ctx)))
    (boot / "grubenv").write_bytes(grubenv_block(INITIAL_BOOT_STATE))
    return esp
