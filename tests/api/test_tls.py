"""HTTPS against the real agent (issue 18, point 1): the unit's own certificate, its
fingerprint in the status and on the console banner, customer certificates refused or served,
a silent TLS client, and port 80's redirect.

Every request over TCP goes from inside the unit's namespace (testbed/pinned_https.py run
there); the admin's side is orpheusctl on the Unix socket. The tests share the package's unit
and run in file order: the unit's own certificate is looked at before one is installed."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import HTTP_PORT, HTTPS_PORT, Unit, console_user
from testbed.tls_certs import Pair, make_pair
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

ENV = {"PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}", "PATH": "/usr/bin:/bin"}
TIMEOUT = 60.0  # generous: a shared 2-core machine; nothing here measures time


def in_unit(unit: Unit, program: str, *args: str) -> Any:
    """Runs a Python snippet in the unit's namespace; returns what it printed (JSON)."""
    result = subprocess.run(
        ["ip", "netns", "exec", unit.agent.netns, sys.executable, "-c", program, *args],
        capture_output=True, text=True, env=ENV, timeout=2 * TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


FETCH = f"""
import json, sys
from dataclasses import asdict
from testbed.pinned_https import fetch
print(json.dumps(asdict(fetch("127.0.0.1", {HTTPS_PORT}, sys.argv[1], timeout={TIMEOUT}))))
"""
SERVED_PEM = f"""
import json, ssl
print(json.dumps(ssl.get_server_certificate(("127.0.0.1", {HTTPS_PORT}), timeout={TIMEOUT})))
"""
PLAIN = f"""
import http.client, json, sys
connection = http.client.HTTPConnection("127.0.0.1", {HTTP_PORT}, timeout={TIMEOUT})
connection.request("GET", sys.argv[1])
response = connection.getresponse()
print(json.dumps([response.status, response.getheader("Location"), json.loads(response.read())]))
"""
# Twenty connections that open TCP to the HTTPS port and send nothing, one that sends half a
# ClientHello; another client's request is answered meanwhile.
SILENT = f"""
import json, socket
from dataclasses import asdict
from testbed.pinned_https import fetch
silent = [socket.create_connection(("127.0.0.1", {HTTPS_PORT})) for _ in range(20)]
silent[0].sendall(bytes([0x16, 0x03, 0x01, 0x02]))
answer = fetch("127.0.0.1", {HTTPS_PORT}, "/api/v1/health", timeout={TIMEOUT})
print(json.dumps([answer.status, answer.body]))
"""


def served_fingerprint(unit: Unit) -> str:
    return str(in_unit(unit, FETCH, "/api/v1/health")["fingerprint"])


def status_fingerprint(unit: Unit) -> str:
    status, answer = local_request(unit, "GET", "/api/v1/status")
    assert status == 200, answer
    return str(answer["tls_fingerprint"])


def install(unit: Unit, pair_cert: bytes, pair_key: bytes, name: str) -> Any:
    cert, key = unit.agent.workdir / f"{name}.crt", unit.agent.workdir / f"{name}.key"
    cert.write_bytes(pair_cert)
    key.write_bytes(pair_key)
    return unit.agent.ctl("tls", "install", str(cert), str(key))


def test_the_units_own_certificate_names_it_and_is_shown(lite_unit: Unit) -> None:
    pem = in_unit(lite_unit, SERVED_PEM)
    cert = x509.load_pem_x509_certificate(pem.encode())
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert lite_unit.serial in sans.get_values_for_type(x509.DNSName)
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    served = served_fingerprint(lite_unit)
    assert status_fingerprint(lite_unit) == served
    shown = lite_unit.agent.ctl("status")
    assert shown.returncode == 0, shown.stderr
    assert f"certificate SHA-256 {served}" in shown.stdout
    tls = lite_unit.agent.ctl_json("tls", "show", "--json")
    assert tls["origin"] == "unit"  # type: ignore[index]
    banner = (lite_unit.agent.workdir / "run/issue").read_text()
    assert f"serial {lite_unit.serial}" in banner
    assert "".join(line.strip() for line in banner.splitlines()[3:]) == served
    key_file = lite_unit.sandbox.data / "orpheus/tls/server.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("kind", ["expired", "mismatched", "garbage"])
def test_a_refused_certificate_leaves_the_old_one_served(lite_unit: Unit, kind: str) -> None:
    before = served_fingerprint(lite_unit)
    good, expired = make_pair(), make_pair(days_before=30, days_after=-1)
    cert, key = {
        "expired": (expired.cert_pem, expired.key_pem),
        "mismatched": (good.cert_pem, make_pair().key_pem),
        "garbage": (b"not a certificate at all\n", good.key_pem),
    }[kind]
    result = install(lite_unit, cert, key, kind)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("orpheusctl: certificate refused: ")
    assert served_fingerprint(lite_unit) == before == status_fingerprint(lite_unit)


def test_a_good_certificate_is_served_to_the_next_connection(lite_unit: Unit) -> None:
    pair: Pair = make_pair("pbx.example.com")
    result = install(lite_unit, pair.cert_pem, pair.key_pem, "good")
    assert result.returncode == 0, result.stderr
    assert pair.fingerprint in result.stdout
    assert served_fingerprint(lite_unit) == pair.fingerprint == status_fingerprint(lite_unit)
    status, entries = local_request(lite_unit, "GET", "/api/v1/audit")
    assert status == 200
    [entry] = [e for e in entries if e["change"] == "tls.install"]
    assert entry["user"] == console_user()
    assert entry["after"]["fingerprint_sha256"] == pair.fingerprint
    banner = (lite_unit.agent.workdir / "run/issue").read_text()
    assert "".join(line.strip() for line in banner.splitlines()[3:]) == pair.fingerprint


def test_a_silent_tls_client_does_not_stop_another(lite_unit: Unit) -> None:
    assert in_unit(lite_unit, SILENT) == [200, {"ok": True}]


def test_port_80_keeps_only_the_health_probe_and_redirects_the_rest(lite_unit: Unit) -> None:
    status, location, body = in_unit(lite_unit, PLAIN, "/")
    assert (status, location) == (308, f"https://127.0.0.1:{HTTPS_PORT}/")
    assert body == {"error": f"moved to {location}"}
    status, location, _ = in_unit(lite_unit, PLAIN, "/login?next=%2F")
    assert (status, location) == (308, f"https://127.0.0.1:{HTTPS_PORT}/login?next=%2F")
    assert in_unit(lite_unit, PLAIN, "/api/v1/health") == [200, None, {"ok": True}]
    assert in_unit(lite_unit, FETCH, "/api/v1/health")["body"] == {"ok": True}  # and on HTTPS
    # The API is HTTPS only: not even its refusal (401) is answered in clear.
    for path in ("/api/v1/status", "/api/v1/openapi.json", "/api/v1/session"):
        status, location, _ = in_unit(lite_unit, PLAIN, path)
        assert (status, location) == (308, f"https://127.0.0.1:{HTTPS_PORT}{path}")
