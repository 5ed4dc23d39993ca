"""tls/certificates.py: what a customer's certificate and key must be, each refusal one line."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from orpheus.tls.certificates import (
    CertificateRefused,
    check_pair,
    describe,
    fingerprint,
)
from testbed.tls_certs import ec_key, ed25519_key, key_pem, make_pair, rsa_key

NOW = datetime.datetime.now(datetime.UTC)


def refusal(cert_pem: bytes, key: bytes) -> str:
    with pytest.raises(CertificateRefused) as caught:
        check_pair(cert_pem, key, NOW)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_good_pair_passes_and_is_written_afresh() -> None:
    pair = make_pair()
    noisy = b"Bag Attributes: junk\n" + pair.cert_pem + b"trailing text\n"
    checked = check_pair(noisy, pair.key_pem, NOW)
    assert checked.chain_pem == pair.cert_pem
    assert checked.leaf == pair.cert
    assert serialization.load_pem_private_key(checked.key_pem, None) is not None


def test_a_chain_keeps_its_order_leaf_first() -> None:
    issuer_key = ec_key()
    issuer = make_pair("Example CA", key=issuer_key)
    leaf = make_pair(signer=issuer_key)
    checked = check_pair(leaf.cert_pem + issuer.cert_pem, leaf.key_pem, NOW)
    assert checked.chain == (leaf.cert, issuer.cert)
    # the key must match the first certificate, not any of the chain
    assert "does not match" in refusal(issuer.cert_pem + leaf.cert_pem, leaf.key_pem)


def test_garbage_is_refused() -> None:
    pair = make_pair()
    assert refusal(b"hello", pair.key_pem) == "certificate: not a PEM X.509 certificate"
    assert refusal(pair.key_pem, pair.key_pem) == "certificate: not a PEM X.509 certificate"
    broken = pair.cert_pem.replace(b"M", b"!", 3)
    assert refusal(broken, pair.key_pem).startswith("certificate: not a PEM")
    assert refusal(pair.cert_pem, b"nope") == "key: not a PEM private key"
    assert refusal(pair.cert_pem, pair.cert_pem) == "key: not a PEM private key"


def test_a_key_that_does_not_match_is_refused() -> None:
    assert refusal(make_pair().cert_pem, make_pair().key_pem) == (
        "key: does not match the certificate (the first in the file)"
    )


def test_dates_are_checked_both_ways() -> None:
    expired = make_pair(days_before=30, days_after=-1)
    assert refusal(expired.cert_pem, expired.key_pem).startswith("certificate: expired on ")
    future = make_pair(days_before=-2, days_after=30)
    assert refusal(future.cert_pem, future.key_pem).startswith("certificate: not valid before ")


def test_only_keys_browsers_take_at_a_cost_the_unit_bears() -> None:
    for key, shown in (
        (ed25519_key(), "Ed25519"),
        (ec_key(ec.SECP521R1()), "ECDSA secp521r1"),
        (rsa_key(1024), "RSA 1024"),
    ):
        pair = make_pair(key=key)
        assert refusal(pair.cert_pem, pair.key_pem).startswith(f"key: {shown} is not accepted")
    for key in (rsa_key(2048), ec_key(ec.SECP384R1())):
        pair = make_pair(key=key)
        check_pair(pair.cert_pem, pair.key_pem, NOW)


def test_an_encrypted_key_asks_for_the_plain_one() -> None:
    key = ec_key()
    pair = make_pair(key=key)
    assert refusal(pair.cert_pem, key_pem(key, b"secret")) == (
        "key: encrypted; give the key without a passphrase"
    )


def test_a_certificate_for_clients_only_is_refused() -> None:
    pair = make_pair(client_only=True)
    assert "excludes TLS servers" in refusal(pair.cert_pem, pair.key_pem)


def test_a_chain_too_long_is_refused() -> None:
    pair = make_pair()
    assert "at most 8" in refusal(pair.cert_pem * 9, pair.key_pem)


def test_fingerprint_and_description() -> None:
    pair = make_pair("pbx.example.com")
    der = pair.cert.public_bytes(serialization.Encoding.DER)
    expected = hashlib.sha256(der).hexdigest().upper()
    assert fingerprint(pair.cert).replace(":", "") == expected
    assert len(fingerprint(pair.cert)) == 32 * 3 - 1
    described = describe(pair.cert)
    assert described["fingerprint_sha256"] == fingerprint(pair.cert)
    assert described["dns_names"] == ["pbx.example.com"]
    assert described["ip_addresses"] == ["127.0.0.1"]
    assert described["key_type"] == "ECDSA P-256"
    assert described["self_signed"] is True
