"""SIP over TLS and SRTP against the root filesystem's Asterisk: a phone registers over TLS on
5061, is shown the unit's own certificate and sets up a call with SDES-SRTP; a plain-TCP or
garbage client on 5061 gets no SIP and Asterisk keeps serving; an extension that requires
TLS and SRTP is never rung by a call over UDP without SRTP (488), nor can it call that way."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import PASSWORD, Unit, add_extension, register_phone, running_unit
from testbed.polling import UNIT_TIMEOUT_SECONDS
from testbed.sipp import Sipp
from testbed.tls_certs import make_pair
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

SECURE = "101"  # requires TLS and SRTP; its phone is testbed/tls_phone.py
PLAIN = "102"  # a sipp phone over UDP, answering
CALLER = "103"  # an extension calling over UDP without SRTP
TLS_CALLER = "104"  # over TLS with SRTP, not required: its calls to SECURE are offered


@pytest.fixture(scope="module")
def unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("sip-tls-unit")
    netns = f"orpheus-siptls-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="lite", serial="ORP-TLS-0001") as unit:
        secure = unit.agent.ctl("pbx", "add", "extension", f"number={SECURE}",
                                f"password={PASSWORD}", "transport=tls", "media_encryption=sdes",
                                "require_tls_srtp=yes")  # fmt: skip
        assert secure.returncode == 0, secure.stderr
        add_extension(unit, PLAIN)
        add_extension(unit, CALLER)
        tls_caller = unit.agent.ctl("pbx", "add", "extension", f"number={TLS_CALLER}",
                                    f"password={PASSWORD}", "transport=tls",
                                    "media_encryption=sdes")  # fmt: skip
        assert tls_caller.returncode == 0, tls_caller.stderr
        phone = register_phone(unit, PLAIN, 5072, 31100)
        try:
            yield unit
        finally:
            phone.stop()


def _phone_command(unit: Unit, *args: str, user: str = SECURE) -> list[str]:
    return ["ip", "netns", "exec", unit.agent.netns, sys.executable, "-m", "testbed.tls_phone",
            "--user", user, "--password", PASSWORD, *args]  # fmt: skip


def _tls_phone(unit: Unit, *args: str, user: str = SECURE) -> dict[str, Any]:
    result = subprocess.run(_phone_command(unit, *args, user=user), capture_output=True, text=True,
                            cwd=SOURCE_DIR, timeout=UNIT_TIMEOUT_SECONDS, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _unit_certificate_sha256(unit: Unit) -> str:
    pem = (unit.sandbox.data / "orpheus/tls/server.crt").read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def _asterisk_alive(unit: Unit) -> bool:
    process = unit.asterisk.process
    return process is not None and process.poll() is None


def test_a_phone_registers_over_tls_and_calls_with_srtp(unit: Unit) -> None:
    assert "orpheus-tls" in unit.cli("pjsip show transports")
    result = _tls_phone(unit, "--call", PLAIN, "--hold", "1")
    assert result["certificate_sha256"] == _unit_certificate_sha256(unit)
    assert result["register"] == 200
    contacts = unit.cli(f"pjsip show aor {SECURE}")
    assert "transport=tls" in contacts, contacts
    assert result["invite"] == 200, result
    # Asterisk answered the offer with SRTP (SDES): the media is encrypted on this leg.
    assert "RTP/SAVP" in result["answer_sdp"] and "a=crypto:" in result["answer_sdp"]
    assert result["bye"] == 200


def _netns_connection(unit: Unit, payload: bytes) -> bytes:
    """What Asterisk answers on 5061 to payload from a client in the unit's namespace."""
    script = (
        "import socket, sys\n"
        "s = socket.create_connection(('127.0.0.1', 5061), timeout=5)\n"
        "s.sendall(sys.stdin.buffer.read())\n"
        "data = b''\n"
        "try:\n"
        "    while chunk := s.recv(4096):\n"
        "        data += chunk\n"
        "except (TimeoutError, ConnectionResetError):\n"
        "    pass\n"
        "sys.stdout.buffer.write(data)\n"
    )
    result = subprocess.run(["ip", "netns", "exec", unit.agent.netns, sys.executable, "-c",
                             script], input=payload, capture_output=True, timeout=30,
                            check=True)  # fmt: skip
    return result.stdout


def test_a_plain_or_garbage_client_on_5061_gets_no_sip_and_asterisk_keeps_serving(
    unit: Unit,
) -> None:
    plain = (f"OPTIONS sip:{SECURE}@127.0.0.1:5061 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;"
             "branch=z9hG4bKx\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
             "Call-ID: plain\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()  # fmt: skip
    # a TLS record header announcing a handshake, then bytes that are none
    garbage = b"\x16\x03\x01\x02\x00" + os.urandom(512)
    for payload in (plain, garbage, os.urandom(4096)):
        answer = _netns_connection(unit, payload)
        assert b"SIP/2.0" not in answer, answer[:200]
        assert _asterisk_alive(unit)
    again = _tls_phone(unit)
    assert again["register"] == 200  # the next phone is served as before


def test_tls_below_1_2_is_refused(unit: Unit) -> None:
    script = (
        "import socket, ssl\n"
        "context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
        "context.check_hostname = False\n"
        "context.verify_mode = ssl.CERT_NONE\n"
        "context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1\n"
        "context.set_ciphers('ALL:@SECLEVEL=0')\n"
        "raw = socket.create_connection(('127.0.0.1', 5061), timeout=5)\n"
        "try:\n"
        "    context.wrap_socket(raw)\n"
        "    print('handshake')\n"
        "except ssl.SSLError as error:\n"
        "    print('refused', error.reason)\n"
    )
    result = subprocess.run(["ip", "netns", "exec", unit.agent.netns, sys.executable, "-c",
                             script], capture_output=True, text=True, timeout=30,
                            check=True)  # fmt: skip
    # the server refuses the version (an alert), not the client its own settings
    assert result.stdout.startswith("refused") and "VERSION" in result.stdout, result.stdout


def _secure_phone_listening(unit: Unit, seconds: str, *extra: str) -> subprocess.Popen[str]:
    phone = subprocess.Popen(_phone_command(unit, "--listen", seconds, *extra),
                             stdout=subprocess.PIPE, text=True, cwd=SOURCE_DIR)  # fmt: skip
    assert phone.stdout is not None
    assert json.loads(phone.stdout.readline()) == {"registered": 200}
    return phone


def _offered(phone: subprocess.Popen[str]) -> int:
    try:
        out = phone.communicate(timeout=UNIT_TIMEOUT_SECONDS)[0]
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
    return int(json.loads(out.splitlines()[-1])["offered"])


def test_a_call_over_tls_with_srtp_to_the_secure_extension_is_offered(unit: Unit) -> None:
    """The counterpart of the refusal below: the same phone is rung by a secure call (and
    answers it busy)."""
    phone = _secure_phone_listening(unit, "4")
    result = _tls_phone(unit, "--call", SECURE, user=TLS_CALLER)
    assert result["register"] == 200 and result["invite"] == 486, result
    assert _offered(phone) == 1


def test_a_secure_call_to_the_secure_extension_is_answered_through_both_checks(
    unit: Unit,
) -> None:
    """The caller's check before Dial and the answered channel's (Dial's U()) both pass."""
    phone = _secure_phone_listening(unit, "5", "--answer")
    result = _tls_phone(unit, "--call", SECURE, "--hold", "1", user=TLS_CALLER)
    assert (result["invite"], result.get("bye")) == (200, 200), result
    assert "RTP/SAVP" in result["answer_sdp"] and "a=crypto:" in result["answer_sdp"]
    assert _offered(phone) == 1
    assert "answered call refused" not in (unit.sandbox.workdir / "asterisk.log").read_text()


def test_a_call_over_udp_without_srtp_to_a_secure_extension_is_refused_unrung(
    unit: Unit,
) -> None:
    phone = _secure_phone_listening(unit, "6")
    caller = Sipp(unit.agent.netns, unit.agent.workdir, "insecure-caller")
    # sipp exits 0 only if the INVITE is answered 488 after the challenge, with no 180
    caller.run("call_insecure.xml", [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5080", "-mp", "32000", "-s", SECURE,
        "-key", "caller", CALLER, "-au", CALLER, "-ap", PASSWORD, "-m", "1", "-timeout", "30s",
    ])  # fmt: skip
    assert _offered(phone) == 0  # the secure phone was never offered the call
    log = (unit.sandbox.workdir / "asterisk.log").read_text()
    assert f"call refused: extension {SECURE} requires TLS and SRTP" in log


def test_the_secure_extension_cannot_call_over_udp_without_srtp(unit: Unit) -> None:
    caller = Sipp(unit.agent.netns, unit.agent.workdir, "insecure-secure")
    caller.run("call_insecure.xml", [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5082", "-mp", "32100", "-s", PLAIN,
        "-key", "caller", SECURE, "-au", SECURE, "-ap", PASSWORD, "-m", "1", "-timeout", "30s",
    ])  # fmt: skip


def test_a_secure_extensions_phone_registered_over_udp_is_never_connected(unit: Unit) -> None:
    """A phone of the secure extension that registers over UDP and answers with plain RTP
    (sipp) is not connected to a secure caller."""
    phone = register_phone(unit, SECURE, 5074, 31200)
    try:
        result = _tls_phone(unit, "--call", SECURE, user=TLS_CALLER)
        assert result["register"] == 200 and result["invite"] != 200, result
    finally:
        phone.stop()
        unit.cli("channel request hangup all")


def test_asterisk_takes_dtls_srtp_and_a_trunk_over_tls(unit: Unit) -> None:
    """Asterisk checks each change (pbx/apply.py): an endpoint it could not load is refused."""
    records = {
        "extension": {"number": "105", "password": PASSWORD, "transport": "tls",
                      "media_encryption": "dtls", "require_tls_srtp": True},
        "trunk": {"name": "secure", "host": "127.0.0.2", "port": 5061, "transport": "tls",
                  "media_encryption": "sdes"},
    }  # fmt: skip
    for kind, record in records.items():
        status, answer = local_request(unit, "POST", f"/api/v1/pbx/{kind}",
                                       json.dumps(record).encode())  # fmt: skip
        assert status == 200 and answer["applied"] is True, answer
    endpoint = unit.cli("pjsip show endpoint 105")
    assert "dtls" in endpoint and "orpheus-tls" in endpoint, endpoint
    aor = unit.cli("pjsip show aor orpheus-trunk-secure")
    assert "sip:127.0.0.2:5061;transport=tls" in aor, aor
    for kind, key in (("extension", "105"), ("trunk", "secure")):
        assert unit.agent.ctl("pbx", "delete", kind, key).returncode == 0


def test_a_certificate_installed_by_an_admin_is_served_on_5061_at_once(unit: Unit) -> None:
    """Last: it changes the module's unit. The transport is re-created on a reload, with no
    restart of Asterisk, and phones are shown the new certificate."""
    before = _tls_phone(unit)["certificate_sha256"]
    pair = make_pair("pbx.example.com")
    body = json.dumps({"certificate": pair.cert_pem.decode(), "key": pair.key_pem.decode()})
    status, answer = local_request(unit, "PUT", "/api/v1/tls", body.encode())
    assert status == 200, answer
    served = _tls_phone(unit)
    assert served["certificate_sha256"] == pair.fingerprint.replace(":", "").lower() != before
    assert served["register"] == 200
    assert _asterisk_alive(unit)
    # only the new pair is left beside Asterisk's files, readable by it alone (and root)
    pairs = sorted((unit.sandbox.data / "etc/asterisk/pjsip-tls").iterdir())
    assert [p.suffix for p in pairs] == [".crt", ".key"]
    assert pairs[0].read_bytes() == pair.cert_pem
    assert all(p.stat().st_mode & 0o777 == 0o640 for p in pairs)
