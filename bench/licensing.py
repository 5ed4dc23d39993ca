"""Licensing benchmark: call setup with and without the dialplan's call limit (same run),
applying 1,000 extensions to Asterisk, and the agent's memory holding them.

`run()` starts a unit like the tests do (the image's Asterisk from build/rootfs in a chroot,
the agent from the source tree, both in a network namespace of their own) on a V4R board.
Setup time is sipp's response time from the first INVITE to the 200 OK (digest challenge
included), for calls to extension 102 (through orpheus-limit) and to 9102, a bench-only
number the bench adds to the rendered dialplan that reaches the same phone without it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient
from testbed.pbx_unit import PASSWORD, Unit, add_extension, register_phone, running_unit
from testbed.sipp import Sipp, phone_args

ROOTFS = Path(__file__).resolve().parent.parent / "build/rootfs"
CALLS = 40
EXTENSIONS = 1000


def _unlimited_route(unit: Unit) -> None:
    dialplan = unit.sandbox.data / "etc/asterisk/extensions.conf"
    text = dialplan.read_text().replace(
        "[orpheus-internal]\n",
        "[orpheus-internal]\nexten => 9102,1,Goto(orpheus-targets,102,1)\n",
    )
    dialplan.write_text(text)
    unit.cli("dialplan reload")


def _setup_times(unit: Unit, name: str, service: str, port: int, media: int) -> list[float]:
    sipp = Sipp(unit.agent.netns, unit.agent.workdir, name)
    sipp.start("uac_extension.xml", [*phone_args(service, "101", PASSWORD, port, media, CALLS),
                                     "-trace_rtt", "-rtt_freq", "1"])  # fmt: skip
    sipp.wait_outcomes(CALLS)
    unit.cli("channel request hangup all")
    sipp.wait_exit()
    times: list[float] = []
    for csv in Path(unit.agent.workdir).glob("uac_extension_*_rtt.csv"):
        for line in csv.read_text().splitlines()[1:]:
            fields = line.split(";")
            if len(fields) >= 2 and fields[1].replace(".", "").isdigit():
                times.append(float(fields[1]))
        csv.unlink()
    return times


def _summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(times), 2),
            "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 2)}  # fmt: skip


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run(board: str = "v4r") -> dict[str, Any]:
    """The board argument of `make bench` is not used: the unit is always a V4R (120 calls)."""
    previous = Path.cwd()
    try:
        return _run()
    finally:
        os.chdir(previous)


def _run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-lic-") as tmp:
        workdir = Path(tmp)
        os.chdir(workdir)  # sipp writes its rtt files into the current directory
        netns = f"orpheus-bench-lic-{os.getpid()}"
        with running_unit(ROOTFS, workdir, netns, board="v4r", serial="ORP-BENCH-1") as unit:
            for number in ("101", "102"):
                add_extension(unit, number)
            phone = register_phone(unit, "102", 5070)
            try:
                _unlimited_route(unit)
                limited = _setup_times(unit, "limited", "102", 5080, 32000)
                unlimited = _setup_times(unit, "unlimited", "9102", 5081, 33000)
            finally:
                phone.stop()
            assert unit.agent.process is not None
            rss_before = _rss_kib(unit.agent.process.pid)
            client = AgentClient(unit.agent.socket, timeout=600)
            records = [{"number": str(20000 + n), "password": PASSWORD}
                       for n in range(EXTENSIONS)]  # fmt: skip
            started = time.monotonic()
            answer = client.request("POST", "/api/v1/pbx/extension", {"records": records})
            bulk_seconds = time.monotonic() - started
            started = time.monotonic()
            client.request("POST", "/api/v1/pbx/extension", {"number": "29999",
                                                            "password": PASSWORD})  # fmt: skip
            one_more_seconds = time.monotonic() - started
            rss_after = _rss_kib(unit.agent.process.pid)
    return {
        "calls_per_run": CALLS,
        "setup_with_limit": _summary(limited),
        "setup_without_limit": _summary(unlimited),
        "apply_1000_extensions_s": round(bulk_seconds, 2),
        "apply_1000_extensions_applied": answer["applied"],
        "apply_one_more_extension_at_1002_s": round(one_more_seconds, 2),
        "agent_rss_before_kib": rss_before,
        "agent_rss_with_1000_extensions_kib": rss_after,
    }
