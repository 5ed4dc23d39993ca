"""tls/self_signed.py: the unit's own keys and self-signed certificates."""

from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from orpheus.tls.self_signed import make_self_signed


def test_ecdsa_p256_with_the_names_given_once_each() -> None:
    address = ipaddress.ip_address("192.0.2.7")
    made = make_self_signed(
        "ORP-1", dns_names=["ORP-1", "orpheus", "ORP-1"], addresses=[address, address],
        ca=False, server_auth=True,
    )  # fmt: skip
    cert = x509.load_pem_x509_certificate(made.cert_pem)
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["ORP-1", "orpheus"]
    assert sans.get_values_for_type(x509.IPAddress) == [address]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert cert.subject == cert.issuer


def test_no_names_no_extension_and_ca_by_default() -> None:
    cert = x509.load_pem_x509_certificate(make_self_signed("orpheus-ha-node").cert_pem)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
