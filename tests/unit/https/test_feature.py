"""https/feature.py: the unit's own certificate, a customer's replacing it, GET/PUT /api/v1/tls."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from orpheus.api.app import Api
from orpheus.audit.log import AuditEntry
from orpheus.auth import PasswordStore
from orpheus.files import DiskFull
from orpheus.https.feature import HttpsFeature, HttpsSettings
from orpheus.https.store import CertificateFiles
from orpheus.tls.certificates import CertificateRefused, fingerprint
from testbed.tls_certs import make_pair
from tests.unit.wsgi_call import call

ADDRESS = ipaddress.ip_address("192.0.2.5")


class Audit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


class Unit:
    """The feature as bootstrap builds it, with a serial the test sets."""

    def __init__(self, tmp_path: Path, serial: str | None = None) -> None:
        self.serial = serial
        self.audit = Audit()
        self.settings = HttpsSettings(tmp_path / "tls", 8443, tmp_path / "run/issue", ())
        self.tmp_path = tmp_path

    def start(self) -> HttpsFeature:
        return HttpsFeature(
            self.settings, lambda: self.serial, self.audit,
            addresses=lambda: [ADDRESS], hostname=lambda: "orpheus",
        )  # fmt: skip

    @property
    def files(self) -> CertificateFiles:
        return CertificateFiles(self.settings.directory)

    def served(self) -> x509.Certificate:
        return self.files.certificate()


def sans(cert: x509.Certificate) -> tuple[list[str], list[Any]]:
    value = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return value.get_values_for_type(x509.DNSName), value.get_values_for_type(x509.IPAddress)


def test_the_first_start_makes_the_units_own(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-7")
    feature = unit.start()
    cert = unit.served()
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert sans(cert) == (["ORP-7", "orpheus"], [ADDRESS])
    assert feature.fingerprint() == fingerprint(cert)
    assert isinstance(feature.context(), ssl.SSLContext)
    banner = (tmp_path / "run/issue").read_text()
    assert "serial ORP-7" in banner and "https://\\4:8443/" in banner
    assert feature.fingerprint()[:47] in banner
    # a restart keeps it
    assert unit.start().fingerprint() == feature.fingerprint()


def test_made_again_once_when_the_serial_comes(tmp_path: Path) -> None:
    unit = Unit(tmp_path, None)
    feature = unit.start()
    before = feature.fingerprint()
    assert sans(unit.served())[0] == ["orpheus"]
    feature.on_identity(None)
    assert feature.fingerprint() == before  # nothing changed: not made again
    unit.serial = "ORP-8"
    feature.on_identity(None)
    assert feature.fingerprint() != before
    assert sans(unit.served())[0] == ["ORP-8", "orpheus"]
    assert "serial ORP-8" in (tmp_path / "run/issue").read_text()


def test_an_identity_that_cannot_be_read_changes_nothing(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-7")
    own = unit.start().fingerprint()
    unit.serial = None
    feature = unit.start()
    feature.on_identity(None)
    assert feature.fingerprint() == own


def test_an_unusable_pair_on_disk_is_replaced_by_the_units_own(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-9")
    first = unit.start().fingerprint()
    unit.files.key_file.write_bytes(make_pair().key_pem)  # no longer the certificate's key
    assert unit.start().fingerprint() not in (None, first)


def test_a_customers_pair_is_served_audited_and_kept_across_serials(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-1")
    feature = unit.start()
    own = feature.fingerprint()
    old_context = feature.context()
    pair = make_pair("pbx.example.com")
    feature.replace(pair.cert_pem, pair.key_pem, "alice")
    assert feature.fingerprint() == pair.fingerprint != own
    assert feature.context() is not old_context
    [entry] = unit.audit.entries
    assert (entry.change, entry.object, entry.user) == ("tls.install", "https certificate", "alice")
    assert entry.before["fingerprint_sha256"] == own
    assert entry.after["fingerprint_sha256"] == pair.fingerprint
    shown = feature.show()
    assert shown["origin"] == "installed" and shown["installed_by"] == "alice"
    unit.serial = "ORP-2"
    feature.on_identity(None)
    assert unit.start().fingerprint() == pair.fingerprint  # the customer's is never remade


def refused_pair(kind: str) -> tuple[bytes, bytes]:
    good, expired = make_pair(), make_pair(days_before=10, days_after=-1)
    garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    return {
        "expired": (expired.cert_pem, expired.key_pem),
        "mismatched": (good.cert_pem, make_pair().key_pem),
        "garbage": (garbage, good.key_pem),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("expired", "certificate: expired on"),
        ("mismatched", "key: does not match"),
        ("garbage", "certificate: not a PEM X.509 certificate"),
    ],
)
def test_a_refused_pair_changes_nothing(tmp_path: Path, kind: str, message: str) -> None:
    unit = Unit(tmp_path, "ORP-1")
    feature = unit.start()
    own, context = feature.fingerprint(), feature.context()
    before = {p.name: p.read_bytes() for p in unit.settings.directory.iterdir()}
    cert, key = refused_pair(kind)
    with pytest.raises(CertificateRefused, match=message):
        feature.replace(cert, key, "alice")
    assert feature.fingerprint() == own and feature.context() is context
    assert {p.name: p.read_bytes() for p in unit.settings.directory.iterdir()} == before
    assert unit.audit.entries == []


def test_an_audit_that_fails_puts_the_old_pair_back(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-1")
    feature = unit.start()
    own, context = feature.fingerprint(), feature.context()

    def full(entry: AuditEntry) -> None:
        raise DiskFull("pbx.sqlite")

    unit.audit.append = full  # type: ignore[method-assign]
    pair = make_pair()
    with pytest.raises(DiskFull):
        feature.replace(pair.cert_pem, pair.key_pem, "alice")
    assert feature.fingerprint() == own and feature.context() is context
    assert fingerprint(unit.served()) == own


def test_alarms_for_an_installed_certificate_near_its_end(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-1")
    feature = unit.start()
    assert feature.alarms() == []
    pair = make_pair(days_after=40)
    feature.replace(pair.cert_pem, pair.key_pem, "alice")
    assert feature.alarms() == []
    ends = pair.cert.not_valid_after_utc
    [soon] = feature.alarms(ends - datetime.timedelta(days=20, hours=1))
    assert soon == (
        f"the HTTPS certificate expires on {ends.date()} (in 20 days): "
        "install another with orpheusctl tls install"
    )
    [gone] = feature.alarms(ends + datetime.timedelta(days=1))
    assert gone.startswith(f"the HTTPS certificate expired on {ends.date()}: ")


def test_an_alarm_when_nothing_can_be_served(tmp_path: Path) -> None:
    (tmp_path / "tls").write_text("a file where the directory should be")
    feature = Unit(tmp_path, "ORP-1").start()
    assert feature.context() is None and feature.fingerprint() is None
    [alarm] = feature.alarms()
    assert alarm.startswith("HTTPS is not served: no usable certificate in ")


def test_the_routes(tmp_path: Path) -> None:
    unit = Unit(tmp_path, "ORP-1")
    feature = unit.start()
    api = Api(PasswordStore(tmp_path / "state"))
    feature.install_routes(api)
    shown = call(api.app, "GET", "/api/v1/tls")
    assert shown.status == 200
    assert shown.body["origin"] == "unit" and shown.body["https_port"] == 8443
    assert shown.body["certificate"]["fingerprint_sha256"] == feature.fingerprint()
    expired = make_pair(days_before=10, days_after=-1)
    body = json.dumps({"certificate": expired.cert_pem.decode(), "key": expired.key_pem.decode()})
    refused = call(api.app, "PUT", "/api/v1/tls", body=body.encode())
    assert refused.status == 400
    assert refused.body["error"].startswith("certificate refused: certificate: expired on ")
    pair = make_pair()
    body = json.dumps({"certificate": pair.cert_pem.decode(), "key": pair.key_pem.decode()})
    installed = call(api.app, "PUT", "/api/v1/tls", body=body.encode())
    assert installed.status == 200, installed.body
    assert installed.body["certificate"]["fingerprint_sha256"] == pair.fingerprint
    assert installed.body["origin"] == "installed"
    missing = call(api.app, "PUT", "/api/v1/tls", body=b'{"certificate": "x"}')
    assert missing.status == 400
    surrogate = call(api.app, "PUT", "/api/v1/tls", body=b'{"certificate": "\\ud800", "key": "k"}')
    assert surrogate.status == 400, surrogate.body
    assert [r.area for r in api.routes if r.path == "/api/v1/tls"] == ["network", "network"]


def test_the_users_of_the_pair_hear_of_each_new_one_but_not_of_a_refused_one(
    tmp_path: Path,
) -> None:
    """SIP over TLS serves the same pair: the PBX renders it again on each change."""
    unit = Unit(tmp_path, "ORP-1")
    feature = unit.start()
    heard: list[str | None] = []
    feature.subscribe(lambda: heard.append(feature.fingerprint()))
    feature.on_identity(None)  # the same serial: the pair stays, nothing to tell
    assert heard == []
    pair = make_pair("pbx.example.com")
    feature.replace(pair.cert_pem, pair.key_pem, "alice")
    assert heard == [pair.fingerprint]
    with pytest.raises(CertificateRefused):
        feature.replace(*refused_pair("mismatched"), "alice")
    assert heard == [pair.fingerprint]
    # the unit's own remade for a new serial (a unit started before the factory named it)
    fresh = Unit(tmp_path / "fresh", None)
    own = fresh.start()
    own.subscribe(lambda: heard.append(own.fingerprint()))
    fresh.serial = "ORP-7"
    own.on_identity(None)
    assert heard[-1] == own.fingerprint() and len(heard) == 2

    def failing() -> None:
        raise RuntimeError("Asterisk's files are unwritable")

    feature.subscribe(failing)  # a failing user does not undo the change
    second = make_pair("pbx2.example.com")
    feature.replace(second.cert_pem, second.key_pem, "alice")
    assert feature.fingerprint() == second.fingerprint
