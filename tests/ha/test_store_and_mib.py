"""A 1,000-extension import on the Master reaches the Slave's PBX store; keepalived's VRRP
MIBs answer through the image's snmpd (AgentX) on the Master."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.ha_lab import Lab, Node, in_ns, lab
from testbed.polling import wait_for

pytestmark = [pytest.mark.rootfs]
_tags = itertools.count(80)
EXTENSIONS = 1000
SNMP_PORT = 1161
VRRPV3_MIB = "1.3.6.1.2.1.207"
# KEEPALIVED-MIB vrrpInstanceState: master(2)
KEEPALIVED_VRRP_STATE = "1.3.6.1.4.1.9586.100.5.2.3.1.4"


@pytest.fixture
def pair_lab(rootfs: Path, tmp_path: Path) -> Iterator[Lab]:
    with lab(rootfs, tmp_path, f"{next(_tags)}") as running:
        yield running


def _start_snmpd(node: Node) -> subprocess.Popen[bytes]:
    """snmpd as an AgentX master on the socket keepalived is told about (as it sees it)."""
    conf = node.sandbox.root / "run/snmpd-lab.conf"
    conf.write_text(
        "master agentx\nagentXSocket /run/agentx/master\n"
        f"agentaddress udp:127.0.0.1:{SNMP_PORT}\nrocommunity public 127.0.0.1\n"
    )
    (node.sandbox.root / "run/agentx").mkdir(exist_ok=True)
    return node.sandbox.popen(
        ["snmpd", "-f", "-Lo", "-I", "-smux", "-C", "-c", "/run/snmpd-lab.conf"],
        node.workdir / "snmpd.log",
    )


def _walk(node: Node, oid: str) -> str:
    return in_ns(
        node.ns, "snmpwalk", "-v2c", "-c", "public", "-On", "-t", "2",
        f"127.0.0.1:{SNMP_PORT}", oid, check=False,
    ).stdout  # fmt: skip


def _extension_count(node: Node) -> int:
    return len(node.client.request("GET", "/api/v1/pbx/extension"))


def test_large_store_syncs_and_vrrp_mib_answers(pair_lab: Lab) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    snmpd = _start_snmpd(a)
    try:
        a.start_agent()
        b.start_agent()
        pair_lab.pair(a, b)
        wait_for("a to be the only Master", lambda: pair_lab.masters() == ["a"])
        wait_for("b's first sync", lambda: b.ha()["generation"]["local"] >= 1)

        records = [
            {"number": str(2000 + i), "password": f"Pw-{i:04d}-x"} for i in range(EXTENSIONS)
        ]
        a.client.request("POST", "/api/v1/pbx/extension", {"records": records})
        assert _extension_count(a) == EXTENSIONS
        wait_for("the 1,000 extensions on b", lambda: _extension_count(b) == EXTENSIONS, 120)
        wait_for("b at a's generation", lambda: b.ha()["sync_lag_seconds"] == 0.0)

        state = f"{KEEPALIVED_VRRP_STATE}.1 = INTEGER: 2"
        wait_for("keepalived's MIB through snmpd", lambda: state in _walk(a, KEEPALIVED_VRRP_STATE))
        assert "No Such" not in _walk(a, VRRPV3_MIB)
        assert _walk(a, VRRPV3_MIB).count(f".{VRRPV3_MIB}.") > 0
    finally:
        snmpd.terminate()
        snmpd.wait(10)
