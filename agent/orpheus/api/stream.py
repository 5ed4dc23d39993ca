"""A route's answer that is not JSON: bytes sent as they are produced (a decrypted recording)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    content_type: str
    length: int  # known before the first byte: the client can tell a cut transfer
    chunks: Iterable[bytes]
