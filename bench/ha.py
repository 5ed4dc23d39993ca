"""HA benchmark: failover and configuration sync on a real pair (testbed/ha_lab.py, the HA
tests' lab: two agents, the image's keepalived and Asterisk, each node in its own network
namespace).

Failover, over FAILOVERS faults in one run for each VRRP setting (ours: VRRPv3, 0.1 s
adverts; keepalived's defaults: VRRPv2, 1 s adverts): the fault is the tests' hard failure
(SIGKILL of keepalived and the agent, then link down); measured from the SIGKILL to the
VIP usable on the other node (a socket can bind it there) and to the first answer to a
SIP OPTIONS sent to the VIP after the link went down (from the client namespace). The
killed node comes back as after a reboot and stays Slave (nopreempt): the roles alternate.

Sync lag: from the Master's PBX API answering a change to the Slave's PBX API showing it
(its store replaced and reread), for single extensions and for 1,000-extension imports.
"""

from __future__ import annotations

import ctypes
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentError
from testbed.ha_lab import GATEWAY, Lab, Node, lab
from testbed.ha_sip import SIP_PORT, VIP_ADDRESS
from testbed.polling import wait_for

ROOTFS = Path(__file__).resolve().parent.parent / "build/rootfs"
FAILOVERS = int(os.environ.get("ORPHEUS_BENCH_HA_FAILOVERS", "20"))
SINGLE_CHANGES = 20
IMPORTS = 3
IMPORT_SIZE = 1000
SETTINGS = {
    "vrrpv3_advert_0.1s": (),
    "keepalived_default_vrrpv2_advert_1s": ("advert_interval=1", "vrrp_version=2"),
}
CLONE_NEWNET = 0x40000000
PROBE_SECONDS = 30.0
_libc = ctypes.CDLL(None, use_errno=True)


def _enter_netns(name: str) -> None:
    """Moves the calling thread (only it) into a named network namespace."""
    with Path(f"/run/netns/{name}").open() as handle:
        if _libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")


class Watch(threading.Thread):
    """Runs `probe` in a namespace until it returns a monotonic time (or the time runs out)."""

    def __init__(self, netns: str, probe: Callable[[threading.Event], float | None]) -> None:
        super().__init__(daemon=True)
        self._netns, self._probe = netns, probe
        self.ready = threading.Event()
        self.result: float | None = None

    def run(self) -> None:
        _enter_netns(self._netns)
        self.result = self._probe(self.ready)


def _vip_bindable(ready: threading.Event) -> float | None:
    ready.set()
    deadline = time.monotonic() + PROBE_SECONDS
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((VIP_ADDRESS, 0))
            except OSError:
                time.sleep(0.001)
                continue
            return time.monotonic()
    return None


class OptionsProbe:
    """SIP OPTIONS to the VIP every 5 ms; the first answer to one sent after `armed_at`."""

    def __init__(self) -> None:
        self.armed_at: float | None = None
        self._sent: dict[str, float] = {}

    def __call__(self, ready: threading.Event) -> float | None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((GATEWAY, 0))
            sock.settimeout(0.005)
            ready.set()
            deadline = time.monotonic() + PROBE_SECONDS
            sequence = 0
            while time.monotonic() < deadline:
                sequence += 1
                call_id = f"bench-{sequence}"
                self._sent[call_id] = time.monotonic()
                sock.sendto(_options(call_id, sock.getsockname()[1]), (VIP_ADDRESS, SIP_PORT))
                answered = self._answer(sock)
                if answered is not None:
                    return answered
        return None

    def _answer(self, sock: socket.socket) -> float | None:
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return None
        now = time.monotonic()
        call_id = _header(data, b"Call-ID")
        sent = self._sent.get(call_id)
        armed = self.armed_at
        if armed is not None and sent is not None and sent >= armed:
            return now
        return None


def _options(call_id: str, port: int) -> bytes:
    return (
        f"OPTIONS sip:{VIP_ADDRESS}:{SIP_PORT} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {GATEWAY}:{port};branch=z9hG4bK{call_id};rport\r\n"
        f"From: <sip:bench@{GATEWAY}>;tag={call_id}\r\nTo: <sip:{VIP_ADDRESS}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _header(message: bytes, name: bytes) -> str:
    for line in message.split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower():
            return value.strip().decode(errors="replace")
    return ""


def _summary(values: list[float], unit: str = "ms") -> dict[str, Any]:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        f"median_{unit}": round(statistics.median(ordered), 1),
        f"p95_{unit}": round(p95, 1),
        f"max_{unit}": round(ordered[-1], 1),
        "samples": len(ordered),
    }


def _status(node: Node) -> dict[str, Any]:
    try:
        return node.ha()
    except AgentError:
        return {}


def _steady(master: Node, slave: Node) -> bool:
    m, s = _status(master), _status(slave)
    return (
        m.get("role") == "master"
        and s.get("role") == "slave"
        and s.get("may_be_master") == "ok"
        and m.get("peer_reachable") is True
        and m.get("sync_lag_seconds") == 0.0
        and master.has_vip()
        and not slave.has_vip()
    )


def _failover(master: Node, slave: Node, client_ns: str) -> tuple[float, float]:
    wait_for("a steady pair", lambda: _steady(master, slave), 120)
    probe = OptionsProbe()
    watches = [Watch(slave.ns, _vip_bindable), Watch(client_ns, probe)]
    for watch in watches:
        watch.start()
        watch.ready.wait(10)
    fault = time.monotonic()
    master.kill()
    probe.armed_at = time.monotonic()
    for watch in watches:
        watch.join(PROBE_SECONDS + 5)
    vip_at, sip_at = (watch.result for watch in watches)
    if vip_at is None or sip_at is None:
        raise RuntimeError("no failover within the probe's time")
    master.revive()
    return (vip_at - fault) * 1000, (sip_at - fault) * 1000


def _failovers(pair_lab: Lab, a: Node, b: Node) -> dict[str, Any]:
    vip_ms: list[float] = []
    sip_ms: list[float] = []
    master, slave = a, b
    for _ in range(FAILOVERS):
        vip, sip = _failover(master, slave, pair_lab.gateway_ns)
        vip_ms.append(vip)
        sip_ms.append(sip)
        master, slave = slave, master
    return {"fault_to_vip": _summary(vip_ms), "fault_to_sip_options_answer": _summary(sip_ms)}


def _shows(node: Node, number: str) -> bool:
    try:
        node.client.request("GET", f"/api/v1/pbx/extension/{number}")
    except AgentError:
        return False
    return True


def _lag(master: Node, slave: Node, records: list[dict[str, str]]) -> float:
    master.client.request("POST", "/api/v1/pbx/extension", {"records": records})
    done = time.monotonic()
    last = records[-1]["number"]
    wait_for(f"extension {last} on the Slave", lambda: _shows(slave, last), 300)
    return (time.monotonic() - done) * 1000


def _sync_lags(master: Node, slave: Node) -> dict[str, Any]:
    single = [
        _lag(master, slave, [{"number": str(3000 + i), "password": f"Pw-{i:04d}-x"}])
        for i in range(SINGLE_CHANGES)
    ]
    imports = []
    for batch in range(IMPORTS):
        first = 10000 + batch * IMPORT_SIZE
        records = [
            {"number": str(first + i), "password": f"Pw-{i:04d}-x"} for i in range(IMPORT_SIZE)
        ]
        imports.append(_lag(master, slave, records))
    return {
        "sync_lag_single_change": _summary(single),
        f"sync_lag_{IMPORT_SIZE}_extension_import": _summary(imports),
    }


def _pair(workdir: Path, tag: str, extra: tuple[str, ...], sync: bool) -> dict[str, Any]:
    with lab(ROOTFS, workdir, tag) as pair_lab:
        a = pair_lab.add_node("a", 1, real_asterisk=True)
        b = pair_lab.add_node("b", 2, real_asterisk=True)
        a.start_asterisk()
        b.start_asterisk()
        a.start_agent()
        b.start_agent()
        pair_lab.pair(a, b, *extra)
        wait_for("a to be Master", lambda: _steady(a, b), 120)
        figures = _failovers(pair_lab, a, b)
        if sync:
            master, slave = (a, b) if _status(a).get("role") == "master" else (b, a)
            figures.update(_sync_lags(master, slave))
        return figures


def run(board: str) -> dict[str, Any]:
    del board  # the pair runs the lab's Lite units whatever board the bench builds
    results: dict[str, Any] = {"failovers_per_setting": FAILOVERS}
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-ha-") as tmp:
        for index, (name, extra) in enumerate(SETTINGS.items()):
            workdir = Path(tmp) / name
            workdir.mkdir()
            figures = _pair(workdir, f"bench{index}", extra, sync=index == 0)
            for key, value in figures.items():
                target = key if key.startswith("sync_lag") else f"{name}.{key}"
                results[target] = value
    return results
