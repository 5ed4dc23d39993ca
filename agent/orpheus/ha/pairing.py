"""Pairing: a one-time code shown on the Slave authenticates the key exchange with the Master.

Both sides prove they know the code with an HMAC over what they send (including each side's
certificate), so a third host can neither pair nor sit in the middle without the code. The
Master sends its HMAC only to the certificate whose fingerprint `ha join` showed next to the
code, so an impostor at the Slave's address gets nothing to guess the code from offline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

CODE_LIFETIME_SECONDS = 900.0
MAX_WRONG_ATTEMPTS = 5  # per source address
# Past this many addresses with wrong codes, no new address may try (bounds the memory and
# the guesses of a host that takes many addresses on the LAN).
MAX_TRACKED_ADDRESSES = 1024


NOT_WAITING = "this unit is not waiting to pair (run `orpheusctl ha join` on it)"


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
    """The code a Slave shows; valid once, for a limited time. Wrong codes are counted per
    source address, so a stranger closes the window for itself only; with `master` set
    (`ha join --master`), only that address may try at all."""

    code: str
    expires_at: float
    master: str | None = None
    wrong_by_address: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, master: str | None = None) -> JoinWindow:
        return cls(new_code(), time.monotonic() + CODE_LIFETIME_SECONDS, master)

    def usable(self) -> bool:
        return time.monotonic() < self.expires_at

    def refusal_for(self, client: str) -> str | None:
        """Why client may not try a code in this window (one line), or None."""
        if not self.usable():
            return NOT_WAITING
        if self.master is not None and client != self.master:
            return f"this unit is waiting to pair with {self.master}, not with {client}"
        wrong = self.wrong_by_address.get(client)
        if wrong is None and len(self.wrong_by_address) >= MAX_TRACKED_ADDRESSES:
            return "this unit's pairing window is closed: too many addresses tried wrong codes"
        if (wrong or 0) >= MAX_WRONG_ATTEMPTS:
            return (
                f"this unit is not waiting to pair with {client} any more: "
                f"{MAX_WRONG_ATTEMPTS} wrong codes came from it"
            )
        return None

    def wrong_code_from(self, client: str) -> None:
        self.wrong_by_address[client] = self.wrong_by_address.get(client, 0) + 1
