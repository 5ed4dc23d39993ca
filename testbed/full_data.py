"""A unit under test whose /data is a small tmpfs of its own, and a way to fill it.

The tmpfs is mounted before the sandbox binds it into the root filesystem, so the agent and
Asterisk see a data partition that a test can fill to its last block and empty again.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.pbx_unit import Unit, running_unit


@contextlib.contextmanager
def small_data_unit(
    rootfs: Path, workdir: Path, netns: str, board: str, serial: str, size: str = "64m"
) -> Iterator[Unit]:
    """running_unit on a data partition of `size` (tmpfs)."""
    data = workdir / "sandbox" / "data"
    data.mkdir(parents=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(data)]
    subprocess.run(mount, check=True)
    try:
        with running_unit(rootfs, workdir, netns, board, serial) as running:
            yield running
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)


@contextlib.contextmanager
def full(data: Path) -> Iterator[None]:
    """Fills the data partition to its last block for the block's duration."""
    filler = data / "filler"
    try:
        with filler.open("wb", buffering=0) as out:
            for size in (1 << 20, 4096, 1):
                with contextlib.suppress(OSError):
                    while True:
                        out.write(b"\0" * size)
        with pytest.raises(OSError) as raised:
            (data / "probe").write_bytes(b"\0" * 4096)
        assert raised.value.errno == errno.ENOSPC
        yield
    finally:
        filler.unlink(missing_ok=True)
        (data / "probe").unlink(missing_ok=True)
