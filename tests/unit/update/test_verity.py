"""The bundle's dm-verity check (orpheus.update.verity)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from orpheus.update import verity


def _verity_file(tmp_path: Path, payload: bytes, salt: bytes) -> tuple[Path, str, int]:
    tree = b"\0" * 4096  # the stored tree is not read: the root is recomputed from the payload
    signature = b"S" * 100
    path = tmp_path / "b.raucb"
    path.write_bytes(payload + tree + signature + len(signature).to_bytes(8, "big"))
    leaves = [
        hashlib.sha256(salt + payload[i : i + 4096]).digest() for i in range(0, len(payload), 4096)
    ]
    block = b"".join(leaves).ljust(4096, b"\0")
    return path, hashlib.sha256(salt + block).hexdigest(), len(tree)


def test_verity_check_accepts_the_signed_payload_and_refuses_a_changed_byte(tmp_path: Path) -> None:
    salt = os.urandom(32)
    payload = os.urandom(4096 * 5)
    path, root, tree = _verity_file(tmp_path, payload, salt)
    verity.check(path, root, salt.hex(), tree)
    data = bytearray(path.read_bytes())
    data[5000] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(verity.BundleCorrupt, match="corrupted"):
        verity.check(path, root, salt.hex(), tree)
    path.write_bytes(bytes(data[:6000]))
    with pytest.raises(verity.BundleCorrupt, match="truncated"):
        verity.check(path, root, salt.hex(), tree)
