"""Network security benchmark on a real unit (testbed/pbx_unit.py: the agent and the root
filesystem's Asterisk in a network namespace; peers on veths, testbed/firewall_lab.py).

- time_to_block: from the Nth failed REGISTER (the policy's 5th: the attacker sending its
  wrong credentials; the first N-1 by sipp, the Nth by a small UDP client here, whose clock is
  the poller's) to the address being in the nftables block set
  (polled through libnftables from inside the unit's namespace), for ATTACKERS distinct
  source addresses on the attackers' peer;
- call_setup_udp_*: a good phone's call over UDP from the admin's peer, INVITE to 200 (the
  digest challenge round included; sipp's response time), with BLOCKED_SET_SIZE addresses
  in the block set beside an empty set, alternating in ROUNDS within the same run;
- call_setup_tls_srtp: the same call over TLS with SDES-SRTP (testbed/tls_phone.py's phone,
  one TLS connection for all its calls, as a registered phone keeps it), timed the same way.

- capture_overhead: CPU (% of one CPU, from /proc) of Asterisk and of the capture's tcpdump
  (an agent capture with the `sip` filter, the testbed's runner) while sipp places LOAD_RATE
  calls per second from the admin's peer for LOAD_SECONDS, beside the same load uncaptured.

The same module is the TLS caller run in the admin's namespace:
`python -m bench.network tls-calls SERVER USER PASSWORD NUMBER N`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SOURCE_DIR = Path(__file__).resolve().parents[1]
ROOTFS = SOURCE_DIR / "build/rootfs"
FAILURES = 5  # the agent's default policy: 5 in 60 s
ATTACKERS = 20
BLOCKED_SET_SIZE = 10_000
ROUNDS, CALLS_PER_ROUND = 2, 25
TLS_CALLS = 50
CALLER, CALLEE, TLS_CALLER = "201", "202", "203"
BLOCK_WAIT_SECONDS = 10.0
CLONE_NEWNET = 0x40000000
LOAD_RATE, LOAD_SECONDS = 50, 10  # calls per second of signalling, for the capture figure


def percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "min_ms": round(min(values), 2), "p50_ms": round(cuts[49], 2),
            "p95_ms": round(cuts[94], 2)}  # fmt: skip


# -- the TLS caller (run in the admin's namespace) --------------------------------------------
def tls_calls(server: str, user: str, password: str, number: str, count: int) -> list[float]:
    """Milliseconds from the first INVITE to its 200, for `count` calls on one connection."""
    from testbed.tls_phone import Connection, Phone

    host, port = server.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the certificate is the tests' business, not timed
    taken: list[float] = []
    raw = socket.create_connection((host, int(port)), timeout=10)
    # As a phone's SIP stack does: without it, an ACK and the next INVITE written back to back
    # wait for Asterisk's delayed TCP acknowledgement (Nagle), some 40 ms the server is not in.
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with context.wrap_socket(raw) as sock:
        local = "{}:{}".format(*sock.getsockname()[:2])
        phone = Phone(Connection(sock), user, password, server, local)
        register = phone.authorised("REGISTER", f"sip:{server}", secrets.token_hex(12), user)
        if register.status != 200:
            raise RuntimeError(f"the TLS phone's REGISTER answered {register.status}")
        for _ in range(count):
            taken.append(_tls_call(phone, number))
    return taken


def _tls_call(phone: Any, number: str) -> float:
    from testbed.tls_phone import srtp_sdp

    call_id, uri = secrets.token_hex(12), f"sip:{number}@{phone.server}"
    address = phone.local.rsplit(":", 1)[0]
    started = time.perf_counter()
    answer = phone.authorised("INVITE", uri, call_id, number, srtp_sdp(address, 40000))
    taken = (time.perf_counter() - started) * 1000
    phone.ack(uri, call_id, number, answer)
    if answer.status != 200:
        raise RuntimeError(f"the TLS call answered {answer.status}")
    to_tag = re.search(r";tag=([^;>\s]+)", answer.header("To"))
    phone.connection.send(
        phone.request("BYE", uri, call_id, number, to_tag=to_tag.group(1) if to_tag else "")
    )
    phone.final(call_id)
    return taken


# -- the unit's side ---------------------------------------------------------------------------
def _enter_netns(name: str) -> None:
    """Moves the calling thread (only it) into a named network namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    with Path(f"/run/netns/{name}").open() as handle:
        if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")


class BlockWatch(threading.Thread):
    """Polls the unit's block set (libnftables, in the unit's namespace) until `address` is
    in it: `seen` is then its wall-clock time (the clock of sipp's message trace)."""

    def __init__(self, netns: str, address: str) -> None:
        super().__init__(daemon=True)
        self._netns, self._address = netns, address
        self.seen: float | None = None

    def run(self) -> None:
        import nftables

        _enter_netns(self._netns)
        nft = nftables.Nftables()
        nft.set_json_output(True)
        deadline = time.monotonic() + BLOCK_WAIT_SECONDS
        while time.monotonic() < deadline:
            _, out, _ = nft.cmd("list set inet orpheus blocked_v4")
            if f'"{self._address}"' in out:
                self.seen = time.time()
                return
            time.sleep(0.001)


def _parse(datagram: bytes) -> Any:
    from testbed.tls_phone import Message

    head, _, body = datagram.decode(errors="replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    pairs = (line.partition(":") for line in lines[1:])
    return Message(lines[0], [(k.strip(), v.strip()) for k, _, v in pairs], body)


def _register_text(source: str, server: str, call_id: str, cseq: int, extra: str = "") -> str:
    branch = "z9hG4bK" + secrets.token_hex(8)
    return (
        f"REGISTER sip:{server} SIP/2.0\r\nVia: SIP/2.0/UDP {source}:5080;branch={branch}\r\n"
        f"From: <sip:{CALLER}@{server}>;tag={call_id[:8]}\r\nTo: <sip:{CALLER}@{server}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
        f"Contact: <sip:{CALLER}@{source}:5080>\r\nMax-Forwards: 70\r\nExpires: 300\r\n"
        f"{extra}Content-Length: 0\r\n\r\n"
    )


def nth_failure(netns: str, source: str, server: str) -> float:
    """The last failed REGISTER, sent from Python (sipp's trace clock is not fine enough):
    the wall-clock time its wrong credentials were sent."""
    from testbed.tls_phone import digest

    sent: list[float] = []

    def attempt() -> None:
        _enter_netns(netns)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 5080))
            sock.settimeout(5)
            call_id = secrets.token_hex(12)
            sock.sendto(_register_text(source, server, call_id, 1).encode(), (server, 5060))
            challenge = _parse(sock.recv(65536))
            if challenge.status != 401:
                raise RuntimeError(f"the REGISTER answered {challenge.status}")
            answer = digest(challenge, "REGISTER", f"sip:{server}", CALLER, "not-the-password")
            text = _register_text(source, server, call_id, 2, f"Authorization: {answer}\r\n")
            sent.append(time.time())
            sock.sendto(text.encode(), (server, 5060))
            sock.recv(65536)  # its answer: the failure

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(15)
    if not sent:
        raise RuntimeError(f"the last REGISTER from {source} was not sent")
    return sent[0]


def _failed_register(peer: Any, workdir: Path, name: str, source: str) -> None:
    command = peer.sipp(workdir, name, "register.xml", [
        "-p", "5080", "-key", "caller", CALLER, "-au", CALLER, "-ap", "not-the-password",
        "-m", "1", "-timeout", "5s"], source=source)  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=60, check=False)
    if result.returncode == 0:
        raise RuntimeError("a REGISTER with a wrong password was accepted")


def time_to_block(unit: Any, attackers: Any) -> list[float]:
    """Milliseconds from each attacker's Nth failed REGISTER to its address blocked."""
    workdir = unit.agent.workdir
    taken = []
    for index in range(ATTACKERS):
        source = f"10.77.2.{10 + index}"
        subprocess.run(["ip", "-n", attackers.netns, "addr", "add", f"{source}/24", "dev",
                        "eth0"], check=True)  # fmt: skip
        for attempt in range(FAILURES - 1):
            _failed_register(attackers, workdir, f"bench-{source}-{attempt}", source)
        watch = BlockWatch(unit.agent.netns, source)
        watch.start()
        sent = nth_failure(attackers.netns, source, attackers.unit_address)
        watch.join(BLOCK_WAIT_SECONDS + 5)
        if watch.seen is None:
            raise RuntimeError(f"{source} was not blocked after {FAILURES} failures")
        taken.append((watch.seen - sent) * 1000)
    return taken


def _nft_elements(unit: Any, verb: str, count: int) -> None:
    """Adds or deletes `count` addresses of 198.18.0.0/15 (never on any link) in the set."""
    addresses = ", ".join(f"198.18.{i // 250}.{i % 250 + 1}" for i in range(count))
    script = unit.agent.workdir / f"nft-{verb}.nft"
    script.write_text(f"{verb} element inet orpheus blocked_v4 {{ {addresses} }}\n")
    subprocess.run(["ip", "netns", "exec", unit.agent.netns, "nft", "-f", str(script)],
                   check=True, timeout=60)  # fmt: skip


def _set_size(unit: Any) -> int:
    out = subprocess.run(
        ["ip", "netns", "exec", unit.agent.netns, "nft", "-j", "list", "set", "inet", "orpheus",
         "blocked_v4"], capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    for item in json.loads(out)["nftables"]:
        if "set" in item:
            return len(item["set"].get("elem", []))
    return 0


def udp_call_setup(admin: Any, workdir: Path, name: str) -> list[float]:
    """Milliseconds INVITE to 200 of CALLS_PER_ROUND calls (sipp's rtd, one call at a time)."""
    from testbed.pbx_unit import PASSWORD

    rtt_dir = workdir / f"rtt-{name}"
    rtt_dir.mkdir()
    command = admin.sipp(workdir, name, "call.xml", [
        "-p", "5082", "-mp", "25082", "-s", CALLEE, "-key", "caller", CALLER, "-au", CALLER,
        "-ap", PASSWORD, "-m", str(CALLS_PER_ROUND), "-l", "1", "-r", "5", "-timeout", "60s",
        "-trace_rtt", "-rtt_freq", "1"])  # fmt: skip
    result = subprocess.run(command, capture_output=True, cwd=rtt_dir, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"sipp {name}: exit {result.returncode}")
    rows = [line.split(";") for path in rtt_dir.glob("*_rtt.csv")
            for line in path.read_text().splitlines()[1:] if line.strip()]  # fmt: skip
    return [float(row[1]) for row in rows]


def blocked_set_call_setup(unit: Any, admin: Any) -> dict[str, list[float]]:
    taken: dict[str, list[float]] = {"empty": [], "full": []}
    for round_number in range(ROUNDS):
        for state in ("empty", "full"):
            if state == "full":
                _nft_elements(unit, "add", BLOCKED_SET_SIZE)
            expected = BLOCKED_SET_SIZE if state == "full" else 0
            if _set_size(unit) != expected:
                raise RuntimeError(f"the block set is not {state}")
            name = f"bench-call-{state}-{round_number}"
            taken[state] += udp_call_setup(admin, unit.agent.workdir, name)
            if state == "full":
                _nft_elements(unit, "delete", BLOCKED_SET_SIZE)
    return taken


def tls_call_setup(unit: Any, admin: Any) -> list[float]:
    from testbed.pbx_unit import PASSWORD

    env = {**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}"}
    result = subprocess.run(
        ["ip", "netns", "exec", admin.netns, sys.executable, "-m", "bench.network", "tls-calls",
         f"{admin.unit_address}:5061", TLS_CALLER, PASSWORD, CALLEE, str(TLS_CALLS)],
        capture_output=True, text=True, cwd=SOURCE_DIR, env=env, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"the TLS caller failed: {result.stderr[-2000:]}")
    return [float(value) for value in json.loads(result.stdout.splitlines()[-1])]


def _cpu_seconds(root: int, name: str | None = None) -> float:
    """CPU seconds so far of process `root` and its descendants (only those called `name`
    when given), from /proc: what the load costs the unit, not the load generator."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, str, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            comm = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            stats[int(stat.parent.name)] = (
                int(fields[1]),
                comm,
                (int(fields[11]) + int(fields[12])) / tick,
            )

    def inside(pid: int) -> bool:
        for _ in range(64):  # a bounded walk up the parents
            if pid == root:
                return True
            if pid not in stats:
                return False
            pid = stats[pid][0]
        return False

    return sum(cpu for pid, (_, comm, cpu) in stats.items()
               if inside(pid) and (name is None or comm == name))  # fmt: skip


def _load(admin: Any, workdir: Path, name: str) -> int:
    """The load's failed calls (sipp's final screen), -1 when it printed none."""
    from testbed.pbx_unit import PASSWORD

    calls = LOAD_RATE * LOAD_SECONDS
    command = admin.sipp(workdir, name, "call.xml", [
        "-p", "5084", "-mp", "25084", "-s", CALLEE, "-key", "caller", CALLER, "-au", CALLER,
        "-ap", PASSWORD, "-m", str(calls), "-l", str(calls), "-r", str(LOAD_RATE),
        "-timeout", f"{LOAD_SECONDS + 30}s"])  # fmt: skip
    # A refused call (the licence's call limit) is signalling too: reported, not an error.
    result = subprocess.run(command, capture_output=True, text=True, timeout=LOAD_SECONDS + 60,
                            check=False)  # fmt: skip
    failed = re.findall(r"^\s*Failed call\s*\|.*\|\s*(\d+)\s*$", result.stdout, re.MULTILINE)
    return int(failed[-1]) if failed else -1


def _loaded_cpu(unit: Any, admin: Any, name: str) -> dict[str, Any]:
    """CPU % of Asterisk and of the agent's tcpdump children over one load."""
    asterisk, agent = unit.asterisk.process.pid, unit.agent.process.pid
    before = (_cpu_seconds(asterisk), _cpu_seconds(agent, "tcpdump"), time.monotonic())
    failed = _load(admin, unit.agent.workdir, name)
    after = (_cpu_seconds(asterisk), _cpu_seconds(agent, "tcpdump"), time.monotonic())
    wall = after[2] - before[2]
    return {"asterisk_cpu_percent": round((after[0] - before[0]) / wall * 100, 1),
            "tcpdump_cpu_percent": round((after[1] - before[1]) / wall * 100, 1),
            "seconds": round(wall, 1), "calls": LOAD_RATE * LOAD_SECONDS,
            "failed_calls": failed}  # fmt: skip


def capture_overhead(unit: Any, admin: Any) -> dict[str, Any]:
    from testbed.polling import wait_for

    plain = _loaded_cpu(unit, admin, "bench-load-plain")
    started = unit.agent.ctl("capture", "start", "--filter", "sip", "--duration", "120", "--json")
    if started.returncode != 0:
        raise RuntimeError(f"the capture did not start: {started.stderr}")
    capture = json.loads(started.stdout)
    agent = unit.agent.process.pid
    wait_for("tcpdump", lambda: _has_tcpdump(agent), timeout=30)
    try:
        captured = _loaded_cpu(unit, admin, "bench-load-captured")
    finally:
        unit.agent.ctl("capture", "stop", capture["id"])
    return {"calls_per_second": LOAD_RATE, "no_capture": plain, "capturing_sip": captured}


def _has_tcpdump(agent: int) -> bool:
    """Whether the agent has a tcpdump child yet (the capture's job starts it)."""
    for task in Path(f"/proc/{agent}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in task.read_text().split():
                if Path(f"/proc/{child}/comm").read_text().strip() == "tcpdump":
                    return True
    return False


@contextlib.contextmanager
def _lab(workdir: Path) -> Iterator[tuple[Any, Any, Any]]:
    """(unit, admin's peer, attackers' peer), the extensions added, the callee answering."""
    from orpheus.cli.client import AgentClient
    from testbed.firewall_lab import peer
    from testbed.pbx_unit import PASSWORD, add_extension, register_phone, running_unit
    from testbed.polling import wait_for

    netns = f"orpheus-bench-net-{os.getpid()}"
    tcpdump = shutil.which("tcpdump")
    if tcpdump is None:
        raise RuntimeError("no tcpdump on the host (builder/hosttools.py installs it)")
    settings = {"http_address": "0.0.0.0", "capture_command": tcpdump, "capture_quota_mb": 25}
    with (
        running_unit(ROOTFS, workdir, netns, "lite", "ORP-NET-0001", settings) as unit,
        peer(netns, f"orpheus-bench-admin-{os.getpid()}", 1) as admin,
        peer(netns, f"orpheus-bench-attack-{os.getpid()}", 2) as attackers,
    ):
        add_extension(unit, CALLER)
        add_extension(unit, CALLEE)
        tls = unit.agent.ctl("pbx", "add", "extension", f"number={TLS_CALLER}",
                             f"password={PASSWORD}", "transport=tls",
                             "media_encryption=sdes")  # fmt: skip
        if tls.returncode != 0:
            raise RuntimeError(tls.stderr)
        client = AgentClient(unit.agent.socket)
        wait_for("the security events", lambda: client.request(
            "GET", "/api/v1/firewall")["blocking"]["reading_events"], timeout=60)  # fmt: skip
        callee = register_phone(unit, CALLEE, 5074, 31200)
        try:
            yield unit, admin, attackers
        finally:
            callee.stop()


def run(board: str) -> dict[str, Any]:
    del board  # the unit's board changes nothing measured here (the host's CPU does)
    from orpheus.cli.client import AgentClient

    with (
        tempfile.TemporaryDirectory(prefix="orpheus-bench-network-") as tmp,
        _lab(Path(tmp)) as (unit, admin, attackers),
    ):
        blocking = time_to_block(unit, attackers)
        client = AgentClient(unit.agent.socket)
        for index in range(ATTACKERS):  # the set empty again for the call figures
            client.request("DELETE", f"/api/v1/firewall/blocked/10.77.2.{10 + index}", {})
        setup = blocked_set_call_setup(unit, admin)
        tls = tls_call_setup(unit, admin)
        capture = capture_overhead(unit, admin)
    return {
        "failures_to_block": FAILURES,
        "time_to_block_from_nth_failed_register": percentiles(blocking),
        "call_setup_udp_block_set_empty": percentiles(setup["empty"]),
        f"call_setup_udp_block_set_{BLOCKED_SET_SIZE}": percentiles(setup["full"]),
        "call_setup_tls_srtp": percentiles(tls),
        "call_setup_note": "INVITE to 200 with the digest challenge round; UDP by sipp, TLS "
        "by testbed/tls_phone.py (Python) on one kept connection",
        "capture_overhead": capture,
    }


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "tls-calls":
        server, user, password, number, count = sys.argv[2:]
        print(json.dumps(tls_calls(server, user, password, number, int(count))))
    else:
        print(json.dumps(run("mini"), indent=2))
