"""API server benchmark: GET /api/v1/health latency and the server's memory, alone and while
500 clients hold connections open (500 that send nothing, then 500 that send part of a header).

`run()` starts the agent's API (the real Api with the status/health and admin features, and
the real bounded server) in a child process on 127.0.0.1, so the RSS measured is the
server's own. Asterisk is a stand-in command that answers its version, so health is 200.

The same module is the served process: `python -m bench.server serve DIR` prints its port.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SOURCE_DIR = Path(__file__).resolve().parents[1]
REQUESTS = 200
CLIENTS = 500
FAKE_ASTERISK = ("echo", "Asterisk 22.0.0 built by bench")


def serve(directory: Path) -> None:
    from orpheus import firmware
    from orpheus.admin import AdminFeature
    from orpheus.api.app import Api
    from orpheus.api.server import make_tcp_server
    from orpheus.asterisk.adapter import Asterisk
    from orpheus.asterisk.monitor import AsteriskMonitor
    from orpheus.auth import PasswordStore
    from orpheus.config import AgentConfig
    from orpheus.status import StatusFeature

    config = AgentConfig(data_dir=directory, run_dir=directory / "run", rauc_enabled=False)
    passwords = PasswordStore(config.state_dir)
    asterisk = AsteriskMonitor(Asterisk(FAKE_ASTERISK).facts, 5.0)
    asterisk.refresh()
    release = firmware.read_release(config.release_file)
    status = StatusFeature(config, release, firmware.BootInfo(slot="A", board="mini"), asterisk)
    api = Api(passwords)
    for feature in (status, AdminFeature(passwords)):
        feature.install_routes(api)
    server = make_tcp_server(
        api.app,
        "127.0.0.1",
        0,
        body_limit=api.body_limit,
        spool_dir=config.state_dir / "spool",
    )
    print(server.address[1], flush=True)
    asterisk.start()
    server.serve_forever()


@contextlib.contextmanager
def server_process(directory: Path) -> Iterator[tuple[int, int]]:
    """(pid, port) of a served child process."""
    env = {**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}"}
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.server", "serve", str(directory)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=SOURCE_DIR,
        text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        if not line.strip().isdigit():
            raise RuntimeError(f"the server did not start (it printed {line!r})")
        yield child.pid, int(line)
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_descriptors(pid: int) -> int:
    return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())


def health_latencies(port: int) -> tuple[list[float], dict[int, int]]:
    """Milliseconds of REQUESTS health requests, each on a new connection, and their statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(REQUESTS):
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/api/v1/health")
            response = connection.getresponse()
            response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
        finally:
            connection.close()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, statuses


def percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}


def hold_clients(port: int, first_bytes: bytes) -> list[socket.socket]:
    clients = []
    for _ in range(CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if first_bytes:
            sock.sendall(first_bytes)
        clients.append(sock)
    time.sleep(1.0)  # the server has accepted them all
    return clients


def measure(pid: int, port: int, first_bytes: bytes | None) -> dict[str, Any]:
    clients = hold_clients(port, first_bytes) if first_bytes is not None else []
    try:
        rss, fds = rss_kib(pid), open_descriptors(pid)
        latencies, statuses = health_latencies(port)
        rss_after = rss_kib(pid)
    finally:
        for sock in clients:
            sock.close()
    return {
        **percentiles(latencies),
        "statuses": statuses,
        "server_rss_mib": round(max(rss, rss_after) / 1024, 1),
        "server_descriptors": fds,
    }


def run(board: str) -> dict[str, Any]:
    del board  # the server is the same on every board
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * CLIENTS:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    with (
        tempfile.TemporaryDirectory(prefix="orpheus-bench-server-") as tmp,
        server_process(Path(tmp)) as (pid, port),
    ):
        health_latencies(port)  # warm up
        alone = measure(pid, port, None)
        silent = measure(pid, port, b"")
        time.sleep(1.0)
        slow = measure(pid, port, b"GET /api/v1/health HTTP/1.1\r\nHo")
        rss_end = rss_kib(pid)
    growth = max(silent["server_rss_mib"], slow["server_rss_mib"]) - alone["server_rss_mib"]
    return {
        "requests_per_run": REQUESTS,
        "clients_held": CLIENTS,
        "health_alone": alone,
        "health_with_500_silent_connections": silent,
        "health_with_500_partial_headers": slow,
        "server_rss_growth_mib": round(growth, 1),
        "server_rss_at_end_mib": round(rss_end / 1024, 1),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]))
    else:
        print(json.dumps(run("mini"), indent=2))
