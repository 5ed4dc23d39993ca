"""SNMP benchmark: walks of ORPHEUS-MIB (AgentX and pass_persist) next to snmpd's own MIBs.

`run()` starts the host's snmpd twice on 127.0.0.1 (one AgentX master with our subagent,
one with a pass_persist helper serving the same synthetic view), times full walks
(GETNEXT and GETBULK) of our subtree and of snmpd's `system` and `hrStorage`, then polls our
subtree every second and reports the subagent process's CPU time and memory.

The same module is the served process:
  python -m bench.snmp agentx SOCKET   the agent's AgentX subagent
  python -m bench.snmp pass_persist    snmpd's pass_persist protocol on stdin/stdout
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from orpheus.snmp.agentx import Oid, SearchRange, ValueType, VarBind
from orpheus.snmp.mib import ORPHEUS_ARC
from orpheus.snmp.subagent import Subagent
from orpheus.snmp.view import MibView

PASS_TYPES = {
    ValueType.OCTET_STRING: "string",
    ValueType.INTEGER: "integer",
    ValueType.GAUGE32: "gauge",
    ValueType.COUNTER64: "counter64",
}


def synthetic_values(trunks: int = 20, endpoints: int = 50) -> dict[str, Any]:
    """A unit of medium size: 20 trunks, 50 endpoints, three storage targets."""
    return {
        "status": {"version": "1.4.2", "build_date": "2025-01-01", "booted_slot": "A",
                   "board": "v4r", "serial": "ORP-000123"},
        "update": {"other_version": "1.4.1", "other_state": "good",
                   "last_result": "installed", "last_time": "2025-01-02T10:00:00Z"},
        "license": {"tier": "Lite", "add_ons": "Call Center", "support_days_left": 300,
                    "limits": [{"index": i, "resource": r, "limit": -1, "usage": 3}
                               for i, r in enumerate(("calls", "users", "trunks", "queues"), 1)]},
        "asterisk": {
            "up": True, "uptime_seconds": 86400, "active_calls": 12, "active_channels": 24,
            "calls_processed": 123456,
            "trunks": [{"index": i, "name": f"trunk{i:02d}", "registered": True,
                        "reachable": True, "active_calls": 1} for i in range(1, trunks + 1)],
            "endpoints": [{"index": i, "name": f"{6000 + i}", "registered": 1, "unreachable": 0}
                          for i in range(1, endpoints + 1)],
        },
        "ha": {"role": "master", "peer_reachable": True, "last_failover": "",
               "sync_lag_seconds": 1},
        "storage": {"targets": [{"index": i, "name": n, "mounted": True, "total_bytes": 10**11,
                                 "free_bytes": 5 * 10**10, "recordings": 100}
                                for i, n in enumerate(("internal", "usb", "nas"), 1)]},
    }  # fmt: skip


def _oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip().strip(".").split(".") if part)


def _answer(varbind: VarBind) -> str:
    if varbind.type in (ValueType.END_OF_MIB_VIEW, ValueType.NO_SUCH_OBJECT,
                        ValueType.NO_SUCH_INSTANCE) or varbind.oid[:6] != ORPHEUS_ARC:  # fmt: skip
        return "NONE\n"
    value = varbind.value
    text = value.decode() if isinstance(value, bytes) else str(value)
    oid = "." + ".".join(map(str, varbind.oid))
    return f"{oid}\n{PASS_TYPES[varbind.type]}\n{text}\n"


def pass_persist(view: MibView) -> None:
    lines = iter(sys.stdin.readline, "")
    for command in lines:
        command = command.strip()
        if command == "PING":
            sys.stdout.write("PONG\n")
        elif command in ("get", "getnext"):
            oid = _oid(next(lines))
            found = view.get(oid) if command == "get" else view.next(SearchRange(oid, (), False))
            sys.stdout.write(_answer(found))
        elif command == "set":
            next(lines), next(lines)
            sys.stdout.write("not-writable\n")
        sys.stdout.flush()


def main() -> None:
    view = MibView.from_values(synthetic_values())
    if sys.argv[1] == "agentx":
        Subagent(Path(sys.argv[2]), ORPHEUS_ARC, lambda: view).start()
        threading.Event().wait()
    else:
        pass_persist(view)


SOURCE_DIR = Path(__file__).resolve().parents[1]
ARC = ".1.3.6.1.3.7361"
SUBTREES = {"orpheus": ARC, "system": ".1.3.6.1.2.1.1", "hrStorage": ".1.3.6.1.2.1.25.2"}
WALKS = 20


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}"}


def _snmpd(workdir: Path, name: str, lines: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    conf = workdir / f"{name}.conf"
    conf.write_text("\n".join([f"agentaddress udp:127.0.0.1:{port}",
                               "rocommunity bench 127.0.0.1", *lines]) + "\n")  # fmt: skip
    process = subprocess.Popen(
        ["snmpd", "-f", "-Lf", str(workdir / f"{name}.log"), "-I", "-smux", "-C", "-c", str(conf)],
        env=_env(),
    )  # fmt: skip
    return process, port


def _walk(port: int, oid: str, tool: str) -> int:
    result = subprocess.run(
        [tool, "-v2c", "-c", "bench", "-On", "-Cc", f"127.0.0.1:{port}", oid],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sum(1 for line in result.stdout.splitlines() if " = " in line)


def _time_walks(port: int, oid: str, tool: str) -> dict[str, float]:
    objects = _walk(port, oid, tool)
    start = time.perf_counter()
    for _ in range(WALKS):
        _walk(port, oid, tool)
    per_walk = (time.perf_counter() - start) / WALKS * 1000
    return {"objects": objects, "ms_per_walk": round(per_walk, 2),
            "ms_per_object": round(per_walk / max(objects, 1), 3)}  # fmt: skip


def _process_figures(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
               .splitlines() if line.startswith("VmRSS:"))  # fmt: skip
    return cpu, rss


def _wait_registered(port: int) -> None:
    for _ in range(100):
        if _walk(port, ARC, "snmpwalk") > 1:  # not the single "No Such Object" line
            return
        time.sleep(0.2)
    raise RuntimeError("the subagent did not register with snmpd")


def run(board: str | None = None) -> dict[str, Any]:
    del board  # the same on every board
    poll_seconds = int(os.environ.get("ORPHEUS_BENCH_SNMP_SECONDS", "60"))
    with tempfile.TemporaryDirectory(prefix="bench-snmp-") as tmp:
        workdir = Path(tmp)
        socket_path = workdir / "agentx.sock"
        master, agentx_port = _snmpd(
            workdir, "agentx", ["master agentx", f"agentXSocket {socket_path}"]
        )
        python_path = f"PYTHONPATH={SOURCE_DIR / 'agent'}:{SOURCE_DIR}"
        helper = f"/usr/bin/env {python_path} {sys.executable} -m bench.snmp pass_persist"
        passer, pass_port = _snmpd(workdir, "pass", [f"pass_persist {ARC} {helper}"])
        time.sleep(0.5)
        subagent = subprocess.Popen(
            [sys.executable, "-m", "bench.snmp", "agentx", str(socket_path)], env=_env()
        )
        try:
            _wait_registered(agentx_port)
            results: dict[str, Any] = {}
            for tool, kind in (("snmpwalk", "getnext"), ("snmpbulkwalk", "getbulk")):
                for name, oid in SUBTREES.items():
                    results[f"{name}_{kind}"] = _time_walks(agentx_port, oid, tool)
                results[f"orpheus_pass_persist_{kind}"] = _time_walks(pass_port, ARC, tool)
            for kind in ("getnext", "getbulk"):
                native = min(results[f"system_{kind}"]["ms_per_object"],
                             results[f"hrStorage_{kind}"]["ms_per_object"])  # fmt: skip
                results[f"orpheus_vs_native_per_object_{kind}"] = round(
                    results[f"orpheus_{kind}"]["ms_per_object"] / native, 2
                )
            cpu_before, _ = _process_figures(subagent.pid)
            for _ in range(poll_seconds):
                started = time.monotonic()
                _walk(agentx_port, ARC, "snmpbulkwalk")
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
            cpu_after, rss = _process_figures(subagent.pid)
            results["subagent_polled_every_second"] = {
                "seconds": poll_seconds,
                "cpu_percent": round(100 * (cpu_after - cpu_before) / poll_seconds, 2),
                "rss_kib": rss,
            }
            return results
        finally:
            for process in (subagent, master, passer):
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
