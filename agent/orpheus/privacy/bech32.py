"""Bech32 (BIP 173) as age uses it for its keys: no 90-character limit, one case only."""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    pass


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _regroup(data: bytes | list[int], source: int, target: int, pad: bool) -> list[int]:
    accumulator = bits = 0
    out: list[int] = []
    for value in data:
        accumulator = accumulator << source | value
        bits += source
        while bits >= target:
            bits -= target
            out.append(accumulator >> bits & (1 << target) - 1)
    if pad and bits:
        out.append(accumulator << target - bits & (1 << target) - 1)
    elif not pad and (bits >= source or accumulator & (1 << bits) - 1):
        raise Bech32Error("bech32: bad padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    words = _regroup(data, 8, 5, pad=True)
    checksum = _polymod(_expand(hrp) + words + [0] * 6) ^ 1
    words += [checksum >> 5 * (5 - i) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words)


def decode(text: str) -> tuple[str, bytes]:
    """(hrp, data); refuses mixed case, characters outside the charset and a bad checksum."""
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("bech32: mixed case")
    text = text.lower()
    hrp, separator, rest = text.rpartition("1")
    if not separator or not hrp or len(rest) < 6:
        raise Bech32Error("bech32: no separator or too short")
    if any(not 33 <= ord(c) <= 126 for c in hrp) or any(c not in CHARSET for c in rest):
        raise Bech32Error("bech32: character outside the charset")
    words = [CHARSET.index(c) for c in rest]
    if _polymod(_expand(hrp) + words) != 1:
        raise Bech32Error("bech32: bad checksum")
    return hrp, bytes(_regroup(words[:-6], 5, 8, pad=False))
