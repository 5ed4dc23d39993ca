"""The audio a recording test plays into a call, and reading back what was recorded: 16-bit
signed linear at 8 kHz (what Asterisk's slin and the recordings' WAV carry)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 8000


def played_samples(seconds: int) -> list[int]:
    """Two tones with a slow swell: nothing that a codec or a shift would leave unchanged."""
    return [
        int(
            6000 * (0.6 + 0.4 * math.sin(i / 3000)) * math.sin(2 * math.pi * 440 * i / RATE)
            + 2000 * math.sin(2 * math.pi * 1250 * i / RATE)
        )
        for i in range(seconds * RATE)
    ]


def wav_bytes(samples: list[int]) -> bytes:
    return struct.pack(f"<{len(samples)}h", *samples)


def write_wav(path: Path, samples: list[int]) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(wav_bytes(samples))


def pcm(data: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2]))
