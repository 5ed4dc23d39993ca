"""A block copy of the running slot's ext4 onto the other slot, checked before it counts.

Only the filesystem's own length is copied (its superblock says it: a bundle's image is
smaller than the slot), from the running root, which is mounted read-only and so does not
change under the copy. The copy is then read back from the device, past the page cache, and
compared with the source byte for byte, and e2fsck checks it without writing.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from orpheus import runner

CHUNK_BYTES = 4 * 1024 * 1024
SUPERBLOCK_OFFSET = 1024
EXT4_MAGIC = 0xEF53
INCOMPAT_64BIT = 0x80
# e2fsck -n on a 1 to 2 GiB root filesystem reads its metadata only: seconds, under TCG too.
FSCK_TIMEOUT_SECONDS = 600.0

Progress = Callable[[float], None]  # the share done, 0.0 to 1.0


class SlotCopyError(OSError):
    """The copy could not be made or is not identical to its source."""


def ext4_length(device: Path) -> int:
    """The filesystem's size in bytes, from its superblock."""
    with device.open("rb") as handle:
        handle.seek(SUPERBLOCK_OFFSET)
        block = handle.read(1024)
    if len(block) < 1024 or struct.unpack_from("<H", block, 0x38)[0] != EXT4_MAGIC:
        raise SlotCopyError(f"{device} holds no ext4 filesystem")
    blocks: int = struct.unpack_from("<I", block, 0x04)[0]
    if struct.unpack_from("<I", block, 0x60)[0] & INCOMPAT_64BIT:
        blocks |= struct.unpack_from("<I", block, 0x150)[0] << 32
    log_size: int = struct.unpack_from("<I", block, 0x18)[0]
    return blocks * (1024 << log_size)


def device_size(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)


def copy(source: Path, target: Path, progress: Progress) -> int:
    """Copies source's ext4 onto target and returns its length; raises SlotCopyError when
    the target is too small or does not read back identical, byte for byte."""
    length = ext4_length(source)
    room = device_size(target)
    if length > room:
        raise SlotCopyError(f"{target} has {room} bytes, the filesystem needs {length}")
    _write(source, target, length, lambda done: progress(0.6 * done / length))
    _compare(source, target, length, lambda done: progress(0.6 + 0.4 * done / length))
    _fsck(target)
    return length


def _write(source: Path, target: Path, length: int, progress: Callable[[int], None]) -> None:
    src = os.open(source, os.O_RDONLY)
    try:
        dst = os.open(target, os.O_WRONLY)
        try:
            for offset, chunk in _chunks(src, source, length):
                _write_all(dst, chunk, offset)
                progress(offset + len(chunk))
            os.fsync(dst)
            # The read back must come from the device, not from what was just written.
            os.posix_fadvise(dst, 0, length, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _chunks(fd: int, path: Path, length: int) -> Iterator[tuple[int, bytes]]:
    """The first length bytes of fd, as (offset, chunk); a device that ends early is an error."""
    done = 0
    while done < length:
        chunk = os.pread(fd, min(CHUNK_BYTES, length - done), done)
        if not chunk:
            raise SlotCopyError(f"{path} ended after {done} of {length} bytes")
        yield done, chunk
        done += len(chunk)


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _compare(source: Path, target: Path, length: int, progress: Callable[[int], None]) -> None:
    """The copy read back from the device and compared with the source, byte for byte (a
    comparison costs less than a hash of both, under QEMU's emulation too, and misses less)."""
    src = os.open(source, os.O_RDONLY)
    try:
        dst = os.open(target, os.O_RDONLY)
        try:
            os.posix_fadvise(dst, 0, length, os.POSIX_FADV_DONTNEED)
            for offset, chunk in _chunks(dst, target, length):
                if os.pread(src, len(chunk), offset) != chunk:
                    raise SlotCopyError(
                        f"the copy on {target} reads back different from {source} "
                        f"at byte {offset} or after"
                    )
                progress(offset + len(chunk))
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _fsck(target: Path) -> None:
    try:
        runner.run(["e2fsck", "-f", "-n", str(target)], timeout=FSCK_TIMEOUT_SECONDS)
    except runner.CommandError as error:
        detail = runner.last_line(error.stderr, error.stdout) or str(error)
        raise SlotCopyError(f"the copy on {target} fails its filesystem check: {detail}") from error
