"""This unit's TLS identity for pair traffic: an EC key and a self-signed certificate, made once."""

from __future__ import annotations

import datetime
import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from orpheus import files

VALID_DAYS = 36500


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
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orpheus-ha-node")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    files.write_file(identity.key_file, key_pem, mode=0o600)
    files.write_file(identity.cert_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return identity
