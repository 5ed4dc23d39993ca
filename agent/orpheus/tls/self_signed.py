"""A new ECDSA P-256 key and a self-signed certificate for it (the unit's own identities)."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# A unit lives for years and nobody renews its own certificate: what is checked is its
# fingerprint (HTTPS, the HA pair), not its dates.
VALID_DAYS = 36500
_T = TypeVar("_T")
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class KeyAndCertificate:
    key_pem: bytes  # PKCS#8, unencrypted
    cert_pem: bytes


def make_self_signed(
    common_name: str,
    *,
    dns_names: Sequence[str] = (),
    addresses: Sequence[IpAddress] = (),
    ca: bool = True,
    server_auth: bool = False,
) -> KeyAndCertificate:
    """ca: the certificate may be pinned as its own trust anchor (the HA pair loads the
    peer's certificate as a CA file); server_auth: marked for TLS servers (browsers)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in _unique(dns_names)]
    names += [x509.IPAddress(address) for address in _unique(addresses)]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if server_auth:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return KeyAndCertificate(key_pem, cert.public_bytes(serialization.Encoding.PEM))


def _unique(values: Sequence[_T]) -> list[_T]:
    return list(dict.fromkeys(values))
