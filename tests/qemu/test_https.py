"""HTTPS on the booted image (issue 18, point 1): the API on 443 with the unit's own
certificate, whose fingerprint orpheusctl status, GET /api/v1/status and the console's login
banner show; port 80 keeps the health probe and redirects the rest, the API included."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import pytest

from testbed.pinned_https import FingerprintMismatch
from testbed.vm import Vm
from tests.qemu.test_boot import PASSWORD, on_guest

pytestmark = pytest.mark.qemu

BANNER_TIMEOUT_SECONDS = 120.0


def fingerprint(vm: Vm, key: Path) -> str:
    status = json.loads(on_guest(vm, key, "orpheusctl", "status", "--json"))
    return str(status["tls_fingerprint"])


def test_the_api_answers_on_443_with_the_fingerprint_the_status_shows(
    vm: Vm, ssh_key: Path
) -> None:
    pinned = fingerprint(vm, ssh_key)
    assert len(pinned) == 95
    health = vm.https("/api/v1/health", pinned)
    assert (health.status, health.body) == (200, {"ok": True})
    status = vm.https("/api/v1/status", pinned, password=PASSWORD)
    assert status.status == 200 and status.body["tls_fingerprint"] == pinned
    wrong = ":".join(["00"] * 32)
    with pytest.raises(FingerprintMismatch):
        vm.https("/api/v1/health", wrong)
    shown = json.loads(on_guest(vm, ssh_key, "orpheusctl", "tls", "show", "--json"))
    assert shown["origin"] == "unit"
    assert shown["certificate"]["key_type"] == "ECDSA P-256"


def test_port_80_keeps_the_health_probe_and_redirects_the_rest(vm: Vm) -> None:
    assert vm.http("/api/v1/health") == (200, {"ok": True})
    code, moved = vm.http("/api/v1/status", password=PASSWORD)  # the password is not checked
    assert (code, moved) == (308, {"error": "moved to https://127.0.0.1/api/v1/status"})
    connection = http.client.HTTPConnection("127.0.0.1", vm.http_port, timeout=30)
    try:
        connection.request("GET", "/login?next=%2F")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    # the Host header names the forwarded port; the unit redirects to its own 443
    assert (response.status, response.getheader("Location")) == (
        308, "https://127.0.0.1/login?next=%2F"
    )  # fmt: skip


def test_the_login_banner_shows_the_fingerprint(vm: Vm, ssh_key: Path) -> None:
    pinned = fingerprint(vm, ssh_key)
    issue = on_guest(vm, ssh_key, "cat", "/etc/issue.d/orpheus.issue")
    assert "".join(line.strip() for line in issue.splitlines()[3:]) == pinned
    first_half = pinned[:47]
    deadline = time.monotonic() + BANNER_TIMEOUT_SECONDS
    while first_half not in vm.console_text():  # agetty prints it on the serial console
        assert time.monotonic() < deadline, "the serial console never showed the fingerprint"
        time.sleep(2.0)
