"""Checks a whole verity bundle file before anything is written to a slot.

RAUC checks the signature (which covers the manifest and the verity root hash) up front,
but the payload only block by block while it writes: a bundle with one byte changed in its
payload would fail half-way, after the target slot was marked bad and partly overwritten.
For a local file the agent therefore recomputes the dm-verity root hash of the payload
(format 1, SHA-256, 4 KiB blocks, salted) and compares it with the signed manifest's, so
such a bundle is refused with both slots untouched.

Layout of a verity bundle: payload (squashfs, 4 KiB aligned), hash tree, CMS signature,
and the signature's size as a big-endian 64-bit integer in the last 8 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

BLOCK = 4096
DIGEST = 32


class BundleCorrupt(ValueError):
    pass


def payload_size(path: Path, hash_tree_size: int) -> int:
    size = path.stat().st_size
    if size < 8:
        raise BundleCorrupt("the bundle is truncated (too small)")
    with path.open("rb") as handle:
        handle.seek(size - 8)
        signature_size = int.from_bytes(handle.read(8), "big")
    payload = size - 8 - signature_size - hash_tree_size
    if signature_size <= 0 or payload <= 0 or payload % BLOCK:
        raise BundleCorrupt("the bundle is truncated or not a verity bundle")
    return payload


def _data_blocks(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        remaining = size
        while remaining:
            chunk = handle.read(min(remaining, 256 * BLOCK))
            if not chunk:
                raise BundleCorrupt("the bundle is truncated")
            remaining -= len(chunk)
            for offset in range(0, len(chunk), BLOCK):
                yield chunk[offset : offset + BLOCK]


def _level(hashes: list[bytes], salt: bytes) -> list[bytes]:
    """Packs hashes into zero-padded hash blocks and hashes each block."""
    per_block = BLOCK // DIGEST
    out = []
    for start in range(0, len(hashes), per_block):
        block = b"".join(hashes[start : start + per_block]).ljust(BLOCK, b"\0")
        out.append(hashlib.sha256(salt + block).digest())
    return out


def root_hash(
    path: Path, size: int, salt: bytes, on_progress: Callable[[float], None] | None = None
) -> str:
    hashes = []
    total = max(size // BLOCK, 1)
    for index, block in enumerate(_data_blocks(path, size)):
        hashes.append(hashlib.sha256(salt + block).digest())
        if on_progress and index % 8192 == 0:
            on_progress(index / total)
    level = _level(hashes, salt)
    while len(level) > 1:
        level = _level(level, salt)
    return level[0].hex()


def check(
    path: Path,
    expected_hash: str,
    salt_hex: str,
    hash_tree_size: int,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Raises BundleCorrupt unless the payload hashes to the signed root hash."""
    size = payload_size(path, hash_tree_size)
    actual = root_hash(path, size, bytes.fromhex(salt_hex), on_progress)
    if actual != expected_hash.lower():
        raise BundleCorrupt("the bundle's content does not match its signature (corrupted)")
