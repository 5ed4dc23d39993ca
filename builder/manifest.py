"""manifest.json (what is in the image) and SHA256SUMS (of everything published)."""

from __future__ import annotations

import json
from pathlib import Path

from builder.boards import size_bytes
from builder.bundle import COMPATIBLE
from builder.context import BuildContext
from builder.packages import Package, as_manifest
from builder.reproducible import file_digest
from orpheus import __version__ as agent_version

PARTITIONS = ("esp", "rootfs-a", "rootfs-b", "data")


def manifest(ctx: BuildContext, installed: list[Package], files: list[Path]) -> dict[str, object]:
    board = ctx.board
    versions = {package.name: package.version for package in installed}
    sizes = {
        "esp": size_bytes(board.esp_size),
        "rootfs-a": size_bytes(board.slot_size),
        "rootfs-b": size_bytes(board.slot_size),
        "data": size_bytes(board.data_size),
    }
    return {
        "board": board.name,
        "tier": board.tier,
        "version": ctx.version,
        "build_date": ctx.build_date,
        "git_commit": ctx.commit,
        "compatible": COMPATIBLE,
        "agent_version": agent_version,
        "asterisk_version": versions.get("asterisk"),
        "kernel_version": versions.get("linux-image-amd64"),
        "partitions": [{"label": name, "size_bytes": sizes[name]} for name in PARTITIONS],
        "slot_b": "copy of slot A",
        "files": [path.name.removesuffix(".tmp") for path in files],
        # Name, version, architecture and the .deb's SHA-256: what REBUILD_FROM rebuilds.
        "packages": as_manifest(installed),
    }


def write_manifest(ctx: BuildContext, installed: list[Package], files: list[Path]) -> Path:
    path = ctx.board_dir / "manifest.json.tmp"
    path.write_text(json.dumps(manifest(ctx, installed, files), indent=2) + "\n")
    return path


def write_checksums(directory: Path, files: list[Path]) -> Path:
    """`sha256sum -c SHA256SUMS` checks every published file."""
    lines = [f"{file_digest(path)}  {path.name}\n" for path in sorted(files)]
    path = directory / "SHA256SUMS.tmp"
    path.write_text("".join(lines))
    final = directory / "SHA256SUMS"
    path.rename(final)
    return final
