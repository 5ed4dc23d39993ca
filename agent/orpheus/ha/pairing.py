"""Pairing: a one-time code shown on the Slave authenticates the key exchange with the Master.

Both sides prove they know the code with an HMAC over what they send (including each side's
certificate), so a third host can neither pair nor sit in the middle without the code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

CODE_LIFETIME_SECONDS = 900.0
MAX_WRONG_ATTEMPTS = 5


class PairingRefused(ValueError):
    """Pairing cannot proceed; the message names why (for the user, one line)."""


def new_code() -> str:
    digits = f"{secrets.randbelow(10**9):09d}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def normalise(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def mac(code: str, fields: dict[str, object]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(normalise(code).encode(), canonical, hashlib.sha256).hexdigest()


def check_mac(code: str, fields: dict[str, object], claimed: str) -> bool:
    return hmac.compare_digest(mac(code, fields), claimed)


def major(version: str) -> str:
    return version.split(".", 1)[0].split("-", 1)[0]


def check_versions(master: str, slave: str) -> None:
    if major(master) != major(slave):
        raise PairingRefused(
            f"firmware major versions differ: the Master runs {master}, the Slave runs {slave}"
        )


@dataclass
class JoinWindow:
    """The code a Slave shows; valid once, for a limited time and a few wrong tries."""

    code: str
    expires_at: float
    wrong_attempts: int = 0

    @classmethod
    def open(cls) -> JoinWindow:
        return cls(new_code(), time.monotonic() + CODE_LIFETIME_SECONDS)

    def usable(self) -> bool:
        return time.monotonic() < self.expires_at and self.wrong_attempts < MAX_WRONG_ATTEMPTS
