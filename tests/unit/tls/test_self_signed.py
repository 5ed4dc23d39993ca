"""tls/self_signed.py and tls/contexts.py: the unit's own key and certificate, and the server
context made of them."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from orpheus.tls.contexts import server_context
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


def test_the_server_context_takes_tls_12_up_and_no_renegotiation(tmp_path: Path) -> None:
    made = make_self_signed("t")
    (tmp_path / "c").write_bytes(made.cert_pem)
    (tmp_path / "k").write_bytes(made.key_pem)
    context = server_context(tmp_path / "c", tmp_path / "k")
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_NO_RENEGOTIATION
    strict = server_context(tmp_path / "c", tmp_path / "k", minimum=ssl.TLSVersion.TLSv1_3)
    assert strict.minimum_version == ssl.TLSVersion.TLSv1_3
    (tmp_path / "k").write_bytes(make_self_signed("other").key_pem)
    with pytest.raises(ssl.SSLError):
        server_context(tmp_path / "c", tmp_path / "k")
