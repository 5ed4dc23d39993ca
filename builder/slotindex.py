"""RAUC's block-hash index of the factory slots, shipped on the data partition.

An install of a bundle with `adaptive=block-hash-index` looks up every 4 KiB chunk of the
new image in the target slot, the running slot and the bundle, by SHA-256. For a slot RAUC
has never written it finds no index and hashes the whole partition first: 4 GiB for the
two 2 GiB slots of a factory-fresh unit, minutes on a 1 GHz unit, and again at every install
until both slots were written by RAUC. The builder knows what it wrote to the slots, so it
writes what RAUC would have written had it installed them (`data-directory=/data/rauc`):

    /data/rauc/central.raucs        both slots: status ok, the slot's SHA-256 and size, version
    /data/rauc/slot.rootfs.<n>/hash-<sha256>/block-hash-index

The slots hold the bundle's ext4 image (image.cfg), shorter than the partition: like RAUC
after an install, the status and the index cover that image's length (its own size, from
its superblock), and the checksum is the image's, as the bundle's manifest gives it.

The index is the raw SHA-256 digests of the slot's 4 KiB chunks, in order. It must sit under
the slot's checksum: RAUC 1.13 deletes a slot's hash-* directories other than its own
checksum's at every status load, "hash-unknown" included. RAUC checks every chunk it reads
from a slot against its hash, so an index that went stale could only cost a download, never
a wrong block.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from builder.bundle import COMPATIBLE
from builder.errors import BuildError
from builder.run import run

log = logging.getLogger("builder")

CHUNK = 4096
COPY = 1024 * 1024
SECTOR = 512
ZERO_HASH = hashlib.sha256(bytes(CHUNK)).digest()
SLOTS = {"rootfs-a": "slot.rootfs.0", "rootfs-b": "slot.rootfs.1"}
INDEX_DIR = "rauc/{slot}/hash-{digest}"
SUPERBLOCK, SUPERBLOCK_BYTES, EXT4_MAGIC, INCOMPAT_64BIT = 1024, 1024, 0xEF53, 0x80


@dataclass(frozen=True)
class Partition:
    name: str
    offset: int
    size: int


def partitions(image: Path) -> dict[str, Partition]:
    table = json.loads(run(["sfdisk", "--json", image]))["partitiontable"]
    return {
        p["name"]: Partition(p["name"], p["start"] * SECTOR, p["size"] * SECTOR)
        for p in table["partitions"]
    }


def _data_ranges(fd: int, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Ranges of [start, end) that hold data (the rest are holes: zeros)."""
    position = start
    while position < end:
        try:
            data = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:
            return  # no data after position
        if data >= end:
            return
        hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
        yield data, hole
        position = hole


def ext4_length(image: Path, part: Partition) -> int:
    """Bytes of the ext4 at the start of the partition, from its superblock."""
    with image.open("rb") as handle:
        handle.seek(part.offset + SUPERBLOCK)
        block = handle.read(SUPERBLOCK_BYTES)
    if len(block) < SUPERBLOCK_BYTES or struct.unpack_from("<H", block, 0x38)[0] != EXT4_MAGIC:
        raise BuildError(f"partition {part.name} of the image holds no ext4")
    blocks = struct.unpack_from("<I", block, 0x4)[0]
    if struct.unpack_from("<I", block, 0x60)[0] & INCOMPAT_64BIT:
        blocks |= struct.unpack_from("<I", block, 0x150)[0] << 32
    length: int = blocks * (1024 << struct.unpack_from("<I", block, 0x18)[0])
    if length > part.size:
        raise BuildError(f"the ext4 of {part.name} is larger than its partition")
    return length


def slot_digest(image: Path, part: Partition) -> str:
    """SHA-256 of the ext4 a slot holds (its own length): the bundle's image checksum."""
    return chunk_hashes(image, Partition(part.name, part.offset, ext4_length(image, part)))[1]


def differing_partitions(first: Path, second: Path) -> list[str]:
    """Names of the partitions whose bytes differ between two images of one layout."""
    ours, theirs = partitions(first), partitions(second)
    return [
        name for name, part in ours.items()
        if theirs.get(name) != part or chunk_hashes(first, part)[1] != chunk_hashes(second, part)[1]
    ]  # fmt: skip


def chunk_hashes(image: Path, part: Partition) -> tuple[bytes, str]:
    """SHA-256 of every 4 KiB chunk of part (holes are zero chunks), and of all of it."""
    count = part.size // CHUNK
    hashes = [ZERO_HASH] * count
    whole = hashlib.sha256()
    done = 0  # chunks fed to whole so far
    with image.open("rb") as handle:
        for start, end in _data_ranges(handle.fileno(), part.offset, part.offset + part.size):
            first = (start - part.offset) // CHUNK
            last = min(-(-(end - part.offset) // CHUNK), count)
            _feed_zeros(whole, first - done)
            handle.seek(part.offset + first * CHUNK)
            for index in range(first, last):
                chunk = handle.read(CHUNK)
                hashes[index] = hashlib.sha256(chunk).digest()
                whole.update(chunk)
            done = last
    _feed_zeros(whole, count - done)
    return b"".join(hashes), whole.hexdigest()


def _feed_zeros(digest: hashlib._Hash, chunks: int) -> None:
    block = bytes(COPY)
    per_block = COPY // CHUNK
    for _ in range(chunks // per_block):
        digest.update(block)
    digest.update(bytes(CHUNK * (chunks % per_block)))


def status_file(digest: str, size: int, version: str, build_date: str) -> str:
    """RAUC's central status file, as after installing the slots (status_file.c's keys)."""
    groups = []
    for slot in SLOTS.values():
        groups.append(
            f"[{slot}]\nbundle.compatible={COMPATIBLE}\nbundle.version={version}\n"
            f"bundle.build={build_date}\nstatus=ok\nsha256={digest}\nsize={size}\n"
        )
    return "\n".join(groups)


def copy_out(image: Path, part: Partition, target: Path) -> None:
    with image.open("rb") as source, target.open("wb") as out:
        source.seek(part.offset)
        for _ in range(part.size // COPY):
            block = source.read(COPY)
            if block.count(0) == len(block):
                out.seek(len(block), os.SEEK_CUR)  # keep it sparse
            else:
                out.write(block)
        out.truncate(part.size)


def _copy_back(changed: Path, image: Path, part: Partition) -> None:
    """Writes back only the blocks that differ, so the image stays sparse."""
    with changed.open("rb") as source, image.open("r+b") as out:
        for index in range(part.size // COPY):
            block = source.read(COPY)
            out.seek(part.offset + index * COPY)
            if out.read(COPY) != block:
                out.seek(part.offset + index * COPY)
                out.write(block)


def _debugfs_script(work: Path, index: Path, status: Path, digest: str) -> Path:
    lines = ["mkdir rauc", f"write {status} rauc/central.raucs"]
    for slot in SLOTS.values():
        directory = INDEX_DIR.format(slot=slot, digest=digest)
        lines += [f"mkdir rauc/{slot}", f"mkdir {directory}"]
        lines += [f"write {index} {directory}/block-hash-index"]
    script = work / "debugfs.cmd"
    script.write_text("\n".join(lines) + "\n")
    return script


def seed(image: Path, version: str, build_date: str, epoch: int) -> None:
    """Writes the factory slots' status and index into the image's data partition."""
    parts = partitions(image)
    slot_a, slot_b, data = parts["rootfs-a"], parts["rootfs-b"], parts["data"]
    if slot_a.size != slot_b.size:
        raise BuildError("slot A and slot B of the image differ in size")
    length = ext4_length(image, slot_a)
    slot_a = Partition(slot_a.name, slot_a.offset, length)
    slot_b = Partition(slot_b.name, slot_b.offset, length)
    with tempfile.TemporaryDirectory(prefix="slotindex-", dir=image.parent) as tmp:
        work = Path(tmp)
        hashes, digest = chunk_hashes(image, slot_a)
        if chunk_hashes(image, slot_b)[1] != digest:
            raise BuildError("slot A and slot B of the image differ")
        index, status = work / "block-hash-index", work / "central.raucs"
        index.write_bytes(hashes)
        status.write_text(status_file(digest, length, version, build_date))
        data_image = work / "data.ext4"
        copy_out(image, data, data_image)
        # The files debugfs writes are dated by the build, not by the clock.
        env = {**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch)}
        run(["debugfs", "-w", "-f", _debugfs_script(work, index, status, digest), data_image],
            env=env)  # fmt: skip
        run(["e2fsck", "-fn", data_image])
        for slot in SLOTS.values():
            directory = INDEX_DIR.format(slot=slot, digest=digest)
            listing = run(["debugfs", "-R", f"ls {directory}", data_image])
            if "block-hash-index" not in listing:
                raise BuildError(f"debugfs did not write the index of {slot}: {listing}")
        _copy_back(data_image, image, data)
    log.info("slot index: %d chunks per slot (its %d MiB ext4), on the data partition",
             length // CHUNK, length // 1024**2)  # fmt: skip
