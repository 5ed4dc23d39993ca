"""The free disk a build step needs, checked before the step writes anything."""

from __future__ import annotations

import shutil
from pathlib import Path

from builder.errors import BuildError

GIB = 1024**3
# Peak use of each part, measured with du on clean builds (2026-12-01), plus about a
# quarter of headroom: the package cache with the mmdebstrap base 0.85 GiB; the root
# filesystem laid over a copy of it 0.64 GiB; a disk image 2.2 GiB (the slot's ext4, then
# the image holding it twice); qcow2 and vmdk copies 2.6 GiB; a bundle 1.4 GiB (its ext4,
# the squashfs bundle and the copy that re-signing writes).
NEEDS = {
    "base": 1.0 * GIB,
    "rootfs": 0.8 * GIB,
    "image": 2.75 * GIB,
    "hypervisor-images": 3.25 * GIB,
    "bundle": 1.75 * GIB,
}


def required_bytes(parts: list[str]) -> int:
    return int(sum(NEEDS[part] for part in parts))


def check_free_space(build_dir: Path, parts: list[str]) -> None:
    """One line naming the free and needed space, before a byte of the build is written."""
    build_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(build_dir).free
    needed = required_bytes(parts)
    if free < needed:
        raise BuildError(
            f"not enough free space under {build_dir}: {free / GIB:.1f} GiB free, "
            f"the build needs {needed / GIB:.1f} GiB ({' + '.join(parts)})"
        )
