"""The factory's re-open token: the one way a sealed unit's factory console answers again.

Sealing writes the signed identity to /data/orpheus/identity.json and closes the factory
console for good (it answers only while that file is absent). To re-provision a unit at the
factory, the station makes a token (`orpheus-factory reopen-token`) for that unit's serial and
hardware fingerprint, valid for some hours, signed by the factory key as the identities are
(licensing/factory_signature.py: the same canonical JSON and signature field). The unit
(`orpheusctl factory reopen TOKEN`, root on its own console only) checks it against its
identity and the factory public key in the image and moves identity.json aside, kept as
identity.json.reopened-<UTC time>: at the next boot the factory console answers the station.
No admin password opens it: whoever holds the admin password does not hold the factory key.

A token is used once: its nonce is kept in USED_NONCES, so a token copied off a re-opened
unit does not open it again once it is sealed anew. A refusal is one line and changes nothing.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from orpheus import files
from orpheus.licensing.factory_signature import SIGNATURE_FIELD, Seal, check_seal, sign_identity
from orpheus.licensing.identity import SERIAL_PATTERN

# Names the document: an identity, also signed by the factory key, is never taken as a token.
KIND = "orpheus-factory-reopen"
FIELDS = frozenset({"kind", "serial", "fingerprint", "not_after", "nonce", SIGNATURE_FIELD})
MAX_VALID_HOURS = 24 * 7  # a token is for one visit to the factory, not kept for later
USED_NONCES = "factory-reopen-used"  # in the state dir, one nonce a line
MAX_TOKEN_BYTES = 4096
FINGERPRINT_PATTERN = re.compile(r"[0-9a-f]{32,64}")  # licensing/identity.py's hex digest


class ReopenRefused(ValueError):
    """The token does not re-open this unit (one line); nothing was changed."""


@dataclass(frozen=True)
class Reopened:
    serial: str
    kept_as: Path  # where identity.json went
    not_after: str


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def make_token(
    serial: str,
    fingerprint: str,
    key: Ed25519PrivateKey,
    valid_hours: float = 24.0,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The station's side: a token for one unit, signed by the factory key."""
    if not SERIAL_PATTERN.fullmatch(serial):
        raise ValueError(f"bad serial {serial[:64]!r}: 3-64 letters, digits, '.', '_' or '-'")
    if not FINGERPRINT_PATTERN.fullmatch(fingerprint):
        raise ValueError(f"bad fingerprint {fingerprint[:80]!r}: the unit's hex digest")
    if not 0 < valid_hours <= MAX_VALID_HOURS:
        raise ValueError(f"--valid-hours must be more than 0 and at most {MAX_VALID_HOURS}")
    not_after = (now or _utc_now()) + datetime.timedelta(hours=valid_hours)
    fields = {
        "kind": KIND,
        "serial": serial,
        "fingerprint": fingerprint,
        "not_after": not_after.isoformat(timespec="seconds"),
        "nonce": secrets.token_hex(16),
    }
    return sign_identity(fields, key)


def parse_token(text: str | bytes) -> dict[str, Any]:
    if len(text) > MAX_TOKEN_BYTES:
        raise ReopenRefused("refused: not a re-open token (too large)")
    try:
        token = json.loads(text)
    except ValueError as error:
        raise ReopenRefused(f"refused: not a re-open token ({error})") from error
    if not isinstance(token, dict):
        raise ReopenRefused("refused: not a re-open token (not a JSON object)")
    return token


def check_token(
    token: dict[str, Any],
    identity: dict[str, Any],
    factory_key: Ed25519PublicKey | None,
    now: datetime.datetime | None = None,
) -> datetime.datetime:
    """Its expiry when token re-opens the unit holding identity; else ReopenRefused."""
    if (
        set(token) != FIELDS
        or token.get("kind") != KIND
        or not all(isinstance(value, str) for value in token.values())
    ):
        raise ReopenRefused("refused: not a factory re-open token")
    seal = check_seal(token, factory_key)
    if seal is not Seal.SIGNED:
        raise ReopenRefused(f"refused: the token is {seal.value}")
    for name in ("serial", "fingerprint"):
        if token[name] != identity.get(name):
            raise ReopenRefused(
                f"refused: the token is for {name} {token[name]!r}, "
                f"this unit is {identity.get(name)!r}"
            )
    not_after = _expiry(token)
    if (now or _utc_now()) > not_after:
        raise ReopenRefused(f"refused: the token expired at {token['not_after']}")
    return not_after


def _expiry(token: dict[str, Any]) -> datetime.datetime:
    try:
        not_after = datetime.datetime.fromisoformat(str(token["not_after"]))
    except ValueError as error:
        raise ReopenRefused("refused: the token's not_after is not a time") from error
    if not_after.tzinfo is None:  # signed by our station, which writes UTC: still, never naive
        raise ReopenRefused("refused: the token's not_after has no time zone")
    return not_after


def _read_identity(identity_file: Path) -> dict[str, Any]:
    try:
        identity = json.loads(identity_file.read_text())
    except FileNotFoundError as error:
        raise ReopenRefused(
            "refused: this unit is not sealed (no identity): its factory console answers already"
        ) from error
    except (OSError, ValueError) as error:
        raise ReopenRefused(f"refused: cannot read {identity_file}: {error}") from error
    if not isinstance(identity, dict):
        raise ReopenRefused(f"refused: {identity_file} is not an identity")
    return identity


def _used(state_dir: Path) -> set[str]:
    try:
        return set((state_dir / USED_NONCES).read_text().split())
    except FileNotFoundError:
        return set()


def reopen(
    token: dict[str, Any],
    state_dir: Path,
    factory_key: Ed25519PublicKey | None,
    now: datetime.datetime | None = None,
) -> Reopened:
    """The unit's side: checks token, then moves identity.json aside (never deletes it)."""
    identity_file = state_dir / "identity.json"
    check_token(token, _read_identity(identity_file), factory_key, now)
    used = _used(state_dir)
    if token["nonce"] in used:
        raise ReopenRefused("refused: this token was used already (ask the factory for another)")
    stamp = (now or _utc_now()).strftime("%Y%m%dT%H%M%SZ")
    kept = identity_file.with_name(f"identity.json.reopened-{stamp}")
    if kept.exists():
        raise ReopenRefused(f"refused: {kept.name} exists (re-opened this second already)")
    # The nonce first: if the move then fails, the token is spent but nothing else changed.
    text = "".join(f"{nonce}\n" for nonce in sorted(used | {token["nonce"]}))
    files.write_file(state_dir / USED_NONCES, text, mode=0o600)
    identity_file.rename(kept)
    # The last provisioning's steps (identity written, password set, self-test passed) go with
    # it: the unit is provisioned again from the start, keeping only its own key pair.
    work = state_dir / "factory"
    if work.is_dir():
        work.rename(state_dir / f"factory.reopened-{stamp}")
    return Reopened(str(token["serial"]), kept, str(token["not_after"]))
