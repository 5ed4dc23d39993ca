"""The unit's recording key pair, its private half wrapped with the privacy password.

Setting the password the first time makes an X25519 key pair. The public key (the age
recipient) is stored plainly: it is all the unit needs to encrypt recordings, so the PBX
records without the password. The private key (the age identity) is stored only sealed with
ChaCha20-Poly1305 under a key scrypt derives from the password, the recipient bound in as
associated data. Changing the password unseals and reseals that one key: no recording is
re-encrypted. Losing the password and every export of the identity loses the recordings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from orpheus import files
from orpheus.audit.log import now_utc
from orpheus.privacy import age

MIN_PASSWORD_LENGTH = 12
# scrypt cost: 64 MiB, four times the admin password's (0.3-0.9 s measured on the loaded build
# host, where that one takes 0.08 s); one run at a time (a lock), so concurrent requests
# cannot take more memory than one. The password also guards the key offline (a copied disk).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 1
_SCRYPT_MAXMEM = 128 * SCRYPT_R * SCRYPT_N * 2
FORMAT = "orpheus-privacy-key/1"


class WrongPassword(ValueError):
    pass


class PasswordRefused(ValueError):
    """A change the state does not allow (an old password missing, or given needlessly)."""


class PasswordTooShort(ValueError):
    pass


@dataclass(frozen=True)
class KeyState:
    password_set: bool
    recipient: str | None
    set_at: str | None
    changed_at: str | None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    return base64.b64decode(text, validate=True)


class PrivacyKeys:
    def __init__(self, path: Path, scrypt_n: int = SCRYPT_N) -> None:
        self.path = path
        self._scrypt_n = scrypt_n  # a new seal's cost (tests take less); unsealing reads it
        self._scrypt_lock = threading.Lock()
        self._lock = threading.Lock()  # one change at a time

    def _read(self) -> dict[str, Any] | None:
        try:
            stored = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise ValueError(f"{self.path}: not a privacy key file")
        return stored

    def state(self) -> KeyState:
        stored = self._read()
        if stored is None:
            return KeyState(False, None, None, None)
        return KeyState(True, stored["recipient"], stored["set_at"], stored["changed_at"])

    def recipient(self) -> bytes | None:
        """The public key recordings are encrypted to; None until the password is set."""
        stored = self._read()
        return None if stored is None else age.parse_recipient(stored["recipient"])

    def _derive(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        with self._scrypt_lock:
            return hashlib.scrypt(
                password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32
            )

    def _seal(self, identity: bytes, password: str, recipient: str) -> dict[str, Any]:
        salt, nonce = os.urandom(16), os.urandom(12)
        key = self._derive(password, salt, self._scrypt_n, SCRYPT_R, SCRYPT_P)
        sealed = ChaCha20Poly1305(key).encrypt(nonce, identity, recipient.encode())
        return {
            "kdf": {
                "name": "scrypt",
                "n": self._scrypt_n,
                "r": SCRYPT_R,
                "p": SCRYPT_P,
                "salt": _b64(salt),
            },
            "nonce": _b64(nonce),
            "sealed_identity": _b64(sealed),
        }

    def _unseal(self, stored: dict[str, Any], password: str) -> bytes:
        kdf = stored["kdf"]
        if kdf.get("name") != "scrypt" or not all(
            isinstance(kdf.get(k), int) and 0 < kdf[k] <= 2**20 for k in ("n", "r", "p")
        ):
            raise ValueError(f"{self.path}: unknown key derivation")
        key = self._derive(password, _unb64(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
        try:
            return ChaCha20Poly1305(key).decrypt(
                _unb64(stored["nonce"]),
                _unb64(stored["sealed_identity"]),
                stored["recipient"].encode(),
            )
        except InvalidTag as error:
            raise WrongPassword("wrong privacy password") from error

    def identity(self, password: str) -> bytes:
        """The private key, unsealed with the password (WrongPassword otherwise)."""
        stored = self._read()
        if stored is None:
            raise PasswordRefused("no privacy password is set")
        return self._unseal(stored, password)

    def set_password(self, new: str, old: str | None) -> KeyState:
        """First time: makes the key pair (old must be None). Later: reseals with new."""
        if len(new) < MIN_PASSWORD_LENGTH:
            raise PasswordTooShort(
                f"privacy password too short: at least {MIN_PASSWORD_LENGTH} characters"
            )
        with self._lock:
            stored = self._read()
            now = now_utc()
            if stored is None:
                if old is not None:
                    raise PasswordRefused("no privacy password is set yet: give no old password")
                identity = age.generate_identity()
                recipient = age.recipient_text(age.public_of(identity))
                record = {"format": FORMAT, "recipient": recipient, "set_at": now}
            else:
                if old is None:
                    raise PasswordRefused("a privacy password is set: the old one is needed")
                identity = self._unseal(stored, old)
                recipient = stored["recipient"]
                record = {"format": FORMAT, "recipient": recipient, "set_at": stored["set_at"]}
            record |= self._seal(identity, new, recipient) | {"changed_at": now}
            files.write_file(self.path, json.dumps(record, indent=1) + "\n", mode=0o600)
        return self.state()
