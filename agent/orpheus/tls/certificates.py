"""Reading certificates: the SHA-256 fingerprint an installer compares, a description for the
API, and the checks a certificate and key given by a customer must pass before the unit serves
them (each refusal one line)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

# Curves every browser speaks; RSA from today's floor to a size whose handshakes stay cheap
# on a 1 GHz unit (each one costs a private-key operation).
ACCEPTED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}
RSA_BITS = (2048, 4096)
MAX_CHAIN = 8  # the leaf and its intermediates


class CertificateRefused(ValueError):
    """A certificate or key the unit will not serve; str() is one line for the user."""


@dataclass(frozen=True)
class CheckedPair:
    """A pair that passed every check, as the unit will store it (PEM written afresh, so
    nothing but the certificates and the key is kept of what was uploaded)."""

    chain: tuple[x509.Certificate, ...]  # leaf first
    key_pem: bytes

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def chain_pem(self) -> bytes:
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.chain)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate as browsers show it: AB:CD:..."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def key_type(public_key: Any) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = public_key.curve.name
        return f"ECDSA {ACCEPTED_CURVES.get(curve, curve)}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    return type(public_key).__name__.removeprefix("_").removesuffix("PublicKey") or "unknown"


def names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """The DNS names and IP addresses of its subject alternative names."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [str(name) for name in sans.get_values_for_type(x509.DNSName)]
    addresses = [str(address) for address in sans.get_values_for_type(x509.IPAddress)]
    return dns, addresses


def describe(cert: x509.Certificate) -> dict[str, Any]:
    dns, addresses = names(cert)
    return {
        "fingerprint_sha256": fingerprint(cert),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "self_signed": cert.subject == cert.issuer,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "dns_names": dns,
        "ip_addresses": addresses,
        "key_type": key_type(cert.public_key()),
    }


def load_chain(pem: bytes) -> tuple[x509.Certificate, ...]:
    try:
        chain = tuple(x509.load_pem_x509_certificates(pem))
    except ValueError as error:
        raise CertificateRefused("certificate: not a PEM X.509 certificate") from error
    if not chain:
        raise CertificateRefused("certificate: not a PEM X.509 certificate")
    if len(chain) > MAX_CHAIN:
        raise CertificateRefused(f"certificate: a chain of {len(chain)}, at most {MAX_CHAIN}")
    return chain


def load_key(pem: bytes) -> Any:
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except TypeError as error:  # cryptography's word for "this key needs a password"
        raise CertificateRefused("key: encrypted; give the key without a passphrase") from error
    except (ValueError, UnsupportedAlgorithm) as error:
        raise CertificateRefused("key: not a PEM private key") from error


def check_key_type(public_key: Any) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name in ACCEPTED_CURVES:
            return
    elif isinstance(public_key, rsa.RSAPublicKey):
        low, high = RSA_BITS
        if low <= public_key.key_size <= high:
            return
    raise CertificateRefused(
        f"key: {key_type(public_key)} is not accepted (ECDSA P-256 or P-384, "
        f"or RSA {RSA_BITS[0]} to {RSA_BITS[1]} bits)"
    )


def _spki(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def check_dates(cert: x509.Certificate, now: datetime.datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise CertificateRefused(
            f"certificate: not valid before {cert.not_valid_before_utc.isoformat()}"
        )
    if now > cert.not_valid_after_utc:
        raise CertificateRefused(f"certificate: expired on {cert.not_valid_after_utc.isoformat()}")


def check_server_use(cert: x509.Certificate) -> None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if ExtendedKeyUsageOID.SERVER_AUTH not in usage:
        raise CertificateRefused("certificate: its extended key usage excludes TLS servers")


def check_pair(cert_pem: bytes, key_pem: bytes, now: datetime.datetime) -> CheckedPair:
    """Parses and checks a customer's certificate (chain) and key; raises CertificateRefused."""
    chain = load_chain(cert_pem)
    key = load_key(key_pem)
    leaf = chain[0]
    check_key_type(leaf.public_key())
    if _spki(key.public_key()) != _spki(leaf.public_key()):
        raise CertificateRefused("key: does not match the certificate (the first in the file)")
    check_dates(leaf, now)
    check_server_use(leaf)
    written = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return CheckedPair(chain, written)
