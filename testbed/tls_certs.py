"""Certificates and keys for the HTTPS tests: good ones, expired ones, not yet valid ones,
keys of other types, as PEM bytes (what a customer would upload)."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pair:
    cert_pem: bytes
    key_pem: bytes
    cert: x509.Certificate

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex(":").upper()


def ec_key(curve: ec.EllipticCurve | None = None) -> Any:
    return ec.generate_private_key(curve or ec.SECP256R1())


def rsa_key(bits: int = 2048) -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ed25519_key() -> Any:
    return ed25519.Ed25519PrivateKey.generate()


def key_pem(key: Any, password: bytes | None = None) -> bytes:
    encryption: Any = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def make_pair(
    name: str = "pbx.example.com",
    *,
    key: Any = None,
    days_before: float = 1,
    days_after: float = 365,
    client_only: bool = False,
    signer: Any = None,
) -> Pair:
    """A certificate valid from days_before days ago to days_after days from now (negative:
    in the past), self-signed unless signer (a key) signs it."""
    key = key if key is not None else ec_key()
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=days_before))
        .not_valid_after(now + datetime.timedelta(days=days_after))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    )
    if client_only:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    sign_with = signer if signer is not None else key
    algorithm = None if isinstance(sign_with, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(sign_with, algorithm)
    return Pair(cert.public_bytes(serialization.Encoding.PEM), key_pem(key), cert)
