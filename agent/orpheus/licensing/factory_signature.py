"""The factory's Ed25519 signature over a unit's identity file.

The station signs every field of the identity (serial, board, tier, MACs, fingerprint,
manufacturing date, the unit's own public key) as canonical JSON; the signature is kept in
the same file under SIGNATURE_FIELD. The agent checks it against the factory public key in
the image at every start: an identity without it was made on a development unit
(`orpheusctl identity init`), one whose signature does not verify has been altered.
"""

from __future__ import annotations

import base64
import binascii
import json
from enum import Enum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

SIGNATURE_FIELD = "factory_signature"


class Seal(Enum):
    SIGNED = "signed"
    UNSIGNED = "unsigned (development)"
    ALTERED = "altered (the factory signature does not verify)"
    NO_KEY = "not verifiable (no factory public key in the image)"


def signed_bytes(fields: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in fields.items() if k != SIGNATURE_FIELD}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def sign_identity(fields: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    signature = base64.b64encode(key.sign(signed_bytes(fields))).decode()
    return {**fields, SIGNATURE_FIELD: signature}


class FactoryKeyError(ValueError):
    """The station's factory signing key cannot be used (one line)."""


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The factory's private key (the station's FACTORY_KEY, or the development one)."""
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        reason = error.strerror if isinstance(error, OSError) else error
        raise FactoryKeyError(f"cannot read the factory key {path}: {reason}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise FactoryKeyError(f"{path} is not an Ed25519 private key")
    return key


def load_factory_key(path: Path) -> Ed25519PublicKey | None:
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def check_seal(fields: dict[str, Any], key: Ed25519PublicKey | None) -> Seal:
    signature = fields.get(SIGNATURE_FIELD)
    if signature is None:
        return Seal.UNSIGNED
    if key is None:
        return Seal.NO_KEY
    try:
        key.verify(base64.b64decode(str(signature), validate=True), signed_bytes(fields))
    except (InvalidSignature, binascii.Error, ValueError):
        return Seal.ALTERED
    return Seal.SIGNED
