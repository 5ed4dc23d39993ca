"""This unit's TLS identity for pair traffic: an EC key and a self-signed certificate, made once."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

from orpheus import files
from orpheus.tls.self_signed import make_self_signed


@dataclass(frozen=True)
class Identity:
    key_file: Path
    cert_file: Path

    @property
    def cert_pem(self) -> str:
        return self.cert_file.read_text()

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_pem(self.cert_pem)


def fingerprint_of_pem(pem: str) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def fingerprint_of_der(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def ensure_identity(directory: Path) -> Identity:
    identity = Identity(directory / "node.key", directory / "node.crt")
    if identity.key_file.exists() and identity.cert_file.exists():
        return identity
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = make_self_signed("orpheus-ha-node")
    files.write_file(identity.key_file, made.key_pem, mode=0o600)
    files.write_file(identity.cert_file, made.cert_pem, mode=0o644)
    return identity
