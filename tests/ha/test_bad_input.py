"""Each bad pairing input is refused with one clear line, a non-zero exit, and nothing changed."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.ha_lab import VIP, Lab, Node, in_ns, lab
from testbed.paths import VENV_PYTHON
from testbed.polling import wait_for

pytestmark = [pytest.mark.rootfs]
_tags = itertools.count(50)
SYNC_PORT = 7443


@pytest.fixture
def pair_lab(rootfs: Path, tmp_path: Path) -> Iterator[Lab]:
    with lab(rootfs, tmp_path, f"{next(_tags)}") as running:
        yield running


def _join_code(node: Node) -> str:
    """The code and fingerprint `ha join` showed, as `ha pair` takes them: "CODE FINGERPRINT"."""
    answer = node.ctl("ha", "join")
    assert answer.returncode == 0, answer.stderr
    code = answer.stdout.split("Pairing code: ", 1)[1].split()[0]
    fingerprint = answer.stdout.split("Fingerprint (SHA-256): ", 1)[1].split()[0]
    return f"{code} {fingerprint}"


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _unpaired(*nodes: Node) -> bool:
    return all(not node.ha()["paired"] and node.ha()["role"] == "unpaired" for node in nodes)


def _pair(master: Node, slave: Node, code: str, vip: str = VIP, interface: str = "eth0"):  # type: ignore[no-untyped-def]
    code, _, fingerprint = code.partition(" ")
    return master.ctl(
        "ha", "pair", "--peer", slave.address, "--vip", vip, "--interface", interface,
        "--code", code, "--fingerprint", fingerprint,
    )  # fmt: skip


def test_bad_pairing_inputs_are_refused(pair_lab: Lab) -> None:
    a = pair_lab.add_node("a", 1)
    b = pair_lab.add_node("b", 2)
    newer = pair_lab.add_node("c", 3, version="1.0.0")
    mini = pair_lab.add_node("m", 4, board="mini")
    for node in (a, b, newer, mini):
        node.start_agent()
    code = _join_code(b)
    wrong = ("000-000-000" if not code.startswith("000-000-000") else "111-111-111") + code[11:]

    _refused(_pair(a, b, wrong), "wrong pairing code")
    _refused(_pair(a, b, code, vip="10.99.0.100/24"), "outside", "eth0")
    _refused(_pair(a, b, code, interface="eth9"), "eth9")
    _refused(_pair(a, newer, _join_code(newer)), "0.1.0", "1.0.0")
    _refused(mini.ctl("ha", "join"), "Mini")
    _refused(_pair(mini, b, code), "Mini")
    assert _unpaired(a, b, newer, mini)

    # After all that, b's window still pairs with the right code.
    assert _pair(a, b, code).returncode == 0
    wait_for("b's first sync", lambda: b.ha()["generation"]["local"] >= 1)


def test_unauthenticated_and_replayed_pushes_are_dropped(pair_lab: Lab) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    stranger = pair_lab.add_node("s", 3)
    for node in (a, b, stranger):
        node.start_agent()
    # The access list admits only the peer to the pair's channel by default; opened before
    # pairing (b is read-only after), so that what drops these pushes is the channel's own check.
    assert b.ctl("firewall", "open", "ha").returncode == 0
    pair_lab.pair(a, b)
    wait_for("b's first sync", lambda: b.ha()["generation"]["local"] >= 1)
    before = b.ha()["generation"]["local"]
    assert _push_in_ns(pair_lab, b, stranger.data / "orpheus/ha") == "refused"
    assert _push_in_ns(pair_lab, b, a.data / "orpheus/ha") == "409"
    assert b.ha()["generation"]["local"] == before
    log = (b.workdir / "agent.log").read_text()
    assert "push dropped" in log


def _push_in_ns(pair_lab: Lab, target: Node, cert_dir: Path) -> str:
    """A one-shot TLS client in the gateway namespace pushes generation 0 with cert_dir's key;
    answers the HTTP status, or 'refused' when the handshake is refused."""
    script = f"""
import http.client, json, ssl
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
c.load_cert_chain({str(cert_dir / "node.crt")!r}, {str(cert_dir / "node.key")!r})
conn = http.client.HTTPSConnection({target.address!r}, {SYNC_PORT}, context=c, timeout=5)
body = {{"generation": 0, "changed_at": 0.0, "manifest": {{}}, "files": {{}}}}
try:
    conn.request("POST", "/push", body=json.dumps(body)); print(conn.getresponse().status)
except (OSError, http.client.HTTPException):
    print("refused")
"""
    return in_ns(pair_lab.gateway_ns, str(VENV_PYTHON), "-c", script).stdout.strip()
