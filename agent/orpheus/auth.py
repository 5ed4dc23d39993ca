"""The unit's admin password: per unit, stored only as a scrypt hash on the data partition.

There is no factory default shared by every unit. At first boot the password comes from the
systemd credential `orpheus.admin-password` (factory tooling, hypervisor SMBIOS, tests); if
none was given, the agent draws a random one and leaves it, readable by root only, in
`initial-admin-password` for the installer to read from the console and change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from orpheus import files

ADMIN_USER = "admin"
# scrypt cost: about 50 ms on the Mini's 1 GHz cores, 16 MiB of memory.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


class WeakPassword(ValueError):
    pass


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """False for a wrong password, and for a stored hash that cannot be read (never raises)."""
    try:
        scheme, n, r, p, salt, digest = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
        return hmac.compare_digest(computed, base64.b64decode(digest, validate=True))
    except (ValueError, TypeError, MemoryError):  # binascii.Error is a ValueError
        return False


class PasswordStore:
    def __init__(self, state_dir: Path) -> None:
        self.hash_file = state_dir / "admin-password.hash"
        self.initial_file = state_dir / "initial-admin-password"
        self.refused_file = state_dir / "admin-credential-refused"  # provision.py's alarm
        # The factory's or first boot's password: a log-in session must change it first.
        self.must_change_file = state_dir / "admin-password-must-change"
        # HTTP Basic sends the password with every request and scrypt costs ~50 ms: a password
        # that passed once is remembered as a keyed hash (key in memory only) for this hash.
        self._key = secrets.token_bytes(32)
        self._verified: tuple[str, bytes] | None = None

    def is_set(self) -> bool:
        return self.hash_file.exists()

    def set(self, password: str, *, must_change: bool = False) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
        files.write_file(self.hash_file, hash_password(password) + "\n", mode=0o600)
        self.initial_file.unlink(missing_ok=True)
        self.refused_file.unlink(missing_ok=True)
        if must_change:
            files.write_file(self.must_change_file, "", mode=0o600)
        else:
            self.must_change_file.unlink(missing_ok=True)

    def must_change(self) -> bool:
        """The password is the factory's or first boot's, or one another admin set."""
        return self.initial_file.exists() or self.must_change_file.exists()

    def set_random(self) -> str:
        password = secrets.token_urlsafe(12)
        self.set(password)
        files.write_file(self.initial_file, password + "\n", mode=0o600)
        return password

    def check(self, user: str, password: str) -> bool:
        if user != ADMIN_USER or not self.hash_file.exists():
            return False
        stored = self.hash_file.read_text()
        mark = hmac.new(self._key, password.encode(), hashlib.sha256).digest()
        remembered = self._verified
        if remembered and remembered[0] == stored and hmac.compare_digest(remembered[1], mark):
            return True
        if not verify_password(password, stored):
            return False
        self._verified = (stored, mark)
        return True
