"""Pairing and port 7443 against the real agents (issue 12, points 3 and 4): the Master pins the
Slave's certificate before it sends anything, the Slave checks what it is sent, wrong codes
close the window for their own address only, and strangers' bodies are never read."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orpheus.ha import pairing
from orpheus.ha.identity import ensure_identity
from testbed.ha_lab import GATEWAY, VIP, Lab, Node, in_ns, lab
from testbed.paths import VENV_PYTHON
from testbed.polling import wait_for

pytestmark = [pytest.mark.rootfs]
_tags = itertools.count(70)
SYNC_PORT = 7443
MIB = 1024 * 1024

# A TLS client for the pair channel, run inside a namespace: `pair` sends a pair request (the
# fields given, authenticated by the MAC given), `flood` a POST of `length` bytes as fast as it
# goes, `header` a POST header announcing `length` bytes and no body. Prints one JSON line.
_CLIENT = r"""
import json, select, socket, ssl, sys, time
op, address, path, length, body = json.loads(sys.argv[1])
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
sock = c.wrap_socket(socket.create_connection((address, 7443), timeout=20))
raw = json.dumps(body).encode() if op == "pair" else b""
length = len(raw) if op == "pair" else length
sock.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path.encode(), length))
started, sent, answer = time.monotonic(), 0, b""
try:
    if op == "pair":
        sock.sendall(raw)
    chunk = b"x" * (256 * 1024)
    while op == "flood" and sent < length and not select.select([sock], [], [], 0)[0]:
        sent += sock.send(chunk)
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        data = sock.recv(65536)
        if not data:
            break
        answer += data
except OSError:
    pass
status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
text = answer.partition(b"\r\n\r\n")[2]
print(json.dumps({"status": status, "body": json.loads(text) if text else None, "sent": sent,
                  "elapsed": time.monotonic() - started}))
"""

# An impostor at the peer's address: TLS with its own certificate on 7443; writes every byte a
# client sends after the handshake to `received`, and answers nothing.
_IMPOSTOR = r"""
import socket, ssl, sys
cert, key, received, ready = sys.argv[1:5]
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(cert, key)
server = socket.create_server(("0.0.0.0", 7443))
open(ready, "w").close()
while True:
    conn, _ = server.accept()
    conn.settimeout(3)
    try:
        tls = c.wrap_socket(conn, server_side=True)
        while True:
            data = tls.recv(65536)
            if not data:
                break
            with open(received, "ab") as out:
                out.write(data)
    except OSError:
        pass
    conn.close()
"""


@pytest.fixture
def pair_lab(rootfs: Path, tmp_path: Path) -> Iterator[Lab]:
    with lab(rootfs, tmp_path, f"{next(_tags)}") as running:
        yield running


def _client(ns: str, op: str, target: Node, path: str, length: int = 0, body: Any = None) -> Any:
    argument = json.dumps([op, target.address, path, length, body])
    out = in_ns(ns, str(VENV_PYTHON), "-c", _CLIENT, argument).stdout
    return json.loads(out)


def _offer(master: Node, code: str, **changes: object) -> dict[str, object]:
    """A pair request as master's agent would send it, authenticated by code."""
    body: dict[str, object] = {
        "address": master.address, "vip": VIP, "nopreempt": True, "advert_interval": 0.1,
        "vrrp_version": 3, "witness": None, "firmware_version": master.version,
        "cert_pem": (master.data / "orpheus/ha/node.crt").read_text(),
        "auth_pass": "0123abcd", "nonce": "ab" * 16, **changes,
    }  # fmt: skip
    body["mac"] = pairing.mac(code, body)
    return body


def _files(*roots: Path) -> dict[str, str]:
    """Every file under roots (logs aside) and its SHA-256: what 'nothing changed' compares."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and path.suffix != ".log":
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _keepalived_conf(node: Node) -> Path:
    return node.sandbox.root / "run/orpheus/ha/keepalived.conf"


def _pair_with(
    master: Node, slave: Node, joined: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    return master.ctl(
        "ha", "pair", "--peer", slave.address, "--vip", VIP, "--interface", "eth0",
        "--code", joined["code"], "--fingerprint", joined["fingerprint"],
    )  # fmt: skip


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _rss_kib(node: Node) -> int:
    assert node.agent is not None
    status = Path(f"/proc/{node.agent.pid}/status").read_text()
    assert "python" in status.splitlines()[0], status.splitlines()[0]  # `ip netns exec` execs
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def test_an_impostor_at_the_peers_address_is_sent_nothing(pair_lab: Lab, tmp_path: Path) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    a.start_agent()
    b.start_agent()
    joined = b.client.request("POST", "/api/v1/ha/join")
    b.stop()  # the impostor takes b's address once b is gone
    impostor = ensure_identity(tmp_path / "impostor")
    received, ready = tmp_path / "received", tmp_path / "ready"
    server = subprocess.Popen(
        ["ip", "netns", "exec", b.ns, str(VENV_PYTHON), "-c", _IMPOSTOR,
         str(impostor.cert_file), str(impostor.key_file), str(received), str(ready)],
    )  # fmt: skip
    try:
        wait_for("the impostor to listen", ready.exists)
        before = _files(a.data, a.sandbox.root / "run/orpheus")
        line = _one_line(_pair_with(a, b, joined))
        time.sleep(1)  # anything sent would have reached the impostor by now
    finally:
        server.kill()
        server.wait()
    assert joined["fingerprint"] in line and impostor.fingerprint in line
    assert "nothing was sent" in line
    assert not received.exists() or received.read_bytes() == b""  # no request, no MAC
    assert not a.ha()["paired"] and a.ha()["role"] == "unpaired"
    assert _files(a.data, a.sandbox.root / "run/orpheus") == before


def test_the_slave_refuses_bad_fields_sent_with_the_right_code(pair_lab: Lab) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    a.start_agent()
    b.start_agent()
    joined = b.client.request("POST", "/api/v1/ha/join")
    before = _files(b.data / "orpheus/ha", b.sandbox.root / "run/orpheus")
    for field, value in (
        ("auth_pass", "ab\ncd"),
        ("vip", "10.213.0.1; script"),
        ("witness", "10.213.0.254\n}"),
        ("address", f"{a.address}\n"),
    ):
        answer = _client(a.ns, "pair", b, "/pair", body=_offer(a, joined["code"], **{field: value}))
        assert answer["status"] == 400, answer
        error = answer["body"]["error"]
        assert field in error and "\n" not in error
    assert not _keepalived_conf(b).exists()
    assert _files(b.data / "orpheus/ha", b.sandbox.root / "run/orpheus") == before
    assert not b.ha()["paired"]
    # The window is still usable: the same code pairs.
    result = _pair_with(a, b, joined)
    assert result.returncode == 0, result.stderr
    wait_for("b's first sync", lambda: b.ha()["generation"]["local"] >= 1)
    assert "; script" not in _keepalived_conf(b).read_text()


def test_a_strangers_wrong_codes_close_the_window_for_it_only(pair_lab: Lab) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    a.start_agent()
    b.start_agent()
    joined = b.client.request("POST", "/api/v1/ha/join")
    wrong = "000000000" if pairing.normalise(joined["code"]) != "000000000" else "111111111"
    for _ in range(pairing.MAX_WRONG_ATTEMPTS):  # from the gateway: a stranger
        answer = _client(pair_lab.gateway_ns, "pair", b, "/pair", body=_offer(a, wrong))
        assert answer["body"] == {"error": "wrong pairing code"}, answer
    # Now the stranger is refused before its body is read, even with the right code.
    answer = _client(pair_lab.gateway_ns, "pair", b, "/pair", body=_offer(a, joined["code"]))
    assert answer["status"] == 403 and "wrong codes came from it" in answer["body"]["error"]
    assert not b.ha()["paired"]
    result = _pair_with(a, b, joined)  # the Master still pairs
    assert result.returncode == 0, result.stderr
    wait_for("b's first sync", lambda: b.ha()["generation"]["local"] >= 1)


def test_a_window_for_one_master_refuses_every_other_address(pair_lab: Lab) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    a.start_agent()
    b.start_agent()
    shown = b.ctl("ha", "join", "--master", a.address)
    assert shown.returncode == 0, shown.stderr
    code = shown.stdout.split("Pairing code: ", 1)[1].split()[0]
    fingerprint = shown.stdout.split("Fingerprint (SHA-256): ", 1)[1].split()[0]
    answer = _client(pair_lab.gateway_ns, "pair", b, "/pair", body=_offer(a, code))
    assert answer["status"] == 403, answer
    assert answer["body"]["error"] == (
        f"this unit is waiting to pair with {a.address}, not with {GATEWAY}"
    )
    assert not b.ha()["paired"]
    result = _pair_with(a, b, {"code": code, "fingerprint": fingerprint})
    assert result.returncode == 0, result.stderr
    assert b.ha()["peer"] == a.address


def test_port_7443_reads_no_strangers_body(pair_lab: Lab) -> None:
    b = pair_lab.add_node("b", 2)
    b.start_agent()
    stranger = pair_lab.gateway_ns
    # With no pairing window, POST /pair is answered at once: its body is not waited for.
    answer = _client(stranger, "header", b, "/pair", length=4000)
    assert answer["status"] == 403 and "not waiting to pair" in answer["body"]["error"], answer
    assert answer["elapsed"] < 3.0
    rss_before = _rss_kib(b)
    for path in ("/pair", "/push", "/state", "/nothing"):
        answer = _client(stranger, "flood", b, path, length=64 * MIB)
        assert answer["status"] in (403, 404, 413, None), answer
        assert answer["sent"] < 32 * MIB and answer["elapsed"] < 10.0, answer
    b.client.request("POST", "/api/v1/ha/join")  # with a window open, /pair is capped
    answer = _client(stranger, "flood", b, "/pair", length=64 * MIB)
    assert answer["status"] in (413, None) and answer["sent"] < 32 * MIB, answer
    time.sleep(0.5)
    assert _rss_kib(b) - rss_before < 4 * 1024  # KiB: a few MiB at most
    assert b.ha()["role"] == "unpaired"
