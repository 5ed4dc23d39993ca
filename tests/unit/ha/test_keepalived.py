"""keepalived.conf from its renderer alone: preempt_delay with preemption, nopreempt without,
SNMP through the AgentX socket."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from orpheus.ha import keepalived
from orpheus.ha.pair import PairSettings

from .conftest import SETTINGS

PATHS = keepalived.KeepalivedPaths(Path("/"), Path("/run/orpheus/ha"), Path("/usr/lib/orpheus/ha"))
AGENT_SOCKET = Path("/run/orpheus/agent.sock")


def _instance(text: str) -> list[str]:
    block = text.split(f"vrrp_instance {keepalived.INSTANCE} {{\n", 1)[1]
    return [line.strip() for line in block.splitlines()]


def test_preempt_renders_the_delay_right_after_the_state() -> None:
    settings = dataclasses.replace(SETTINGS, nopreempt=False)
    text = keepalived.render(settings, PATHS, AGENT_SOCKET, preempt_delay=3)
    lines = _instance(text)
    assert lines[:2] == ["state BACKUP", "preempt_delay 3"]
    assert "nopreempt" not in lines
    # What the feature used to patch into the rendered text.
    plain = keepalived.render(settings, PATHS, AGENT_SOCKET)
    assert text == plain.replace("    state BACKUP\n", "    state BACKUP\n    preempt_delay 3\n")


def test_nopreempt_renders_no_delay() -> None:
    settings = dataclasses.replace(SETTINGS, nopreempt=True)
    lines = _instance(keepalived.render(settings, PATHS, AGENT_SOCKET, preempt_delay=3))
    assert "nopreempt" in lines
    assert not any(line.startswith("preempt_delay") for line in lines)
    assert lines[0] == "state BACKUP"


def test_no_delay_unless_asked() -> None:
    settings = dataclasses.replace(SETTINGS, nopreempt=False)
    assert "preempt_delay" not in keepalived.render(settings, PATHS, AGENT_SOCKET)


# Without a witness, as the SNMP tests of keepalived.conf were written.
SNMP_SETTINGS = PairSettings(
    node_id="ab" * 32, local_address="10.0.0.1", peer_address="10.0.0.2",
    peer_fingerprint="cd" * 32, vip="10.0.0.100/24", interface="eth0", priority=150,
    preferred_role="master",
)  # fmt: skip


def _global_defs(text: str) -> list[str]:
    block = text.split("global_defs {\n", 1)[1].split("}\n", 1)[0]
    return [line.strip() for line in block.splitlines()]


def test_keepalived_exports_its_vrrp_mibs_through_the_agentx_socket() -> None:
    text = keepalived.render(SNMP_SETTINGS, PATHS, AGENT_SOCKET, Path("/run/agentx/master"))
    lines = _global_defs(text)
    assert "enable_snmp_vrrp" in lines
    assert "enable_snmp_rfcv3" in lines
    assert "snmp_socket unix:/run/agentx/master" in lines
    assert "vrrp_version 3" in lines


def test_keepalived_without_an_agentx_socket_has_no_snmp() -> None:
    assert "snmp" not in keepalived.render(SNMP_SETTINGS, PATHS, AGENT_SOCKET)
