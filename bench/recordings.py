"""Recordings benchmark (issue 13): the cost of encrypting a call's recording to the privacy
officer's key (age, X25519 + ChaCha20-Poly1305) and of reading it back, on one core.

A G.711 call records 16 kB/s (two 8 kB/s legs mixed into a 16-bit WAV at 8 kHz): the share
of one core a recorded call costs is that rate over the measured throughput.
"""

from __future__ import annotations

import io
import os
import time
from typing import Any

from orpheus.privacy import age

MIB = 1 << 20
SIZE = 64 * MIB
WRITE = 4096  # Asterisk's MixMonitor writes the WAV in small blocks
CALL_BYTES_PER_SECOND = 16_000


def _encrypt(plain: bytes, recipient: bytes) -> tuple[bytes, float]:
    out = io.BytesIO()
    started = time.perf_counter()
    encryptor = age.Encryptor(out, recipient)
    for offset in range(0, len(plain), WRITE):
        encryptor.write(plain[offset : offset + WRITE])
    encryptor.finish()
    return out.getvalue(), time.perf_counter() - started


def _decrypt(sealed: bytes, identity: bytes) -> float:
    started = time.perf_counter()
    for _chunk in age.decrypt(io.BytesIO(sealed), identity):
        pass
    return time.perf_counter() - started


def run(board: str) -> dict[str, Any]:
    identity = age.generate_identity()
    plain = os.urandom(SIZE)
    sealed, encrypt_seconds = _encrypt(plain, age.public_of(identity))
    decrypt_seconds = _decrypt(sealed, identity)
    encrypt_rate = SIZE / encrypt_seconds
    return {
        "encrypt_mib_per_s": round(encrypt_rate / MIB, 1),
        "decrypt_mib_per_s": round(SIZE / decrypt_seconds / MIB, 1),
        "overhead_bytes_per_mib": round((len(sealed) - SIZE) / (SIZE / MIB)),
        "recorded_call_core_share_percent": round(100 * CALL_BYTES_PER_SECOND / encrypt_rate, 4),
        "sample_mib": SIZE // MIB,
    }
