"""HTTPS benchmark: what a TLS handshake costs on the agent's server (the unit's own ECDSA
P-256 certificate, TLS 1.3 and 1.2), and a health request on a new HTTPS connection against
one on a new plain HTTP connection.

`run()` starts the agent's real HTTPS and HTTP servers (api/server.py, the status feature's
health) in a child process on 127.0.0.1, so the client's work is not the server's; each figure
is over new connections, one after the other. The same module is the served process:
`python -m bench.tls serve DIR` prints its two ports.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SOURCE_DIR = Path(__file__).resolve().parents[1]
CONNECTIONS = 200


def serve(directory: Path) -> None:
    from orpheus.api.app import Api
    from orpheus.api.server import make_tcp_server, make_tls_server, serve_in_thread
    from orpheus.auth import PasswordStore
    from orpheus.https.feature import HttpsFeature, HttpsSettings

    https = HttpsFeature(
        HttpsSettings(directory / "tls", 443, directory / "issue", ()), lambda: "ORP-BENCH", None
    )
    api = Api(PasswordStore(directory))
    api.route("GET", "/api/v1/health", lambda: {"ok": True}, auth=False, area="dashboard")
    spool = directory / "spool"
    secure = make_tls_server(api.app, "127.0.0.1", 0, https.context, spool_dir=spool)
    plain = make_tcp_server(api.app, "127.0.0.1", 0, spool_dir=spool)
    print(secure.address[1], plain.address[1], flush=True)
    serve_in_thread(secure, "https")
    plain.serve_forever()


@contextlib.contextmanager
def server_process(directory: Path) -> Iterator[tuple[int, int]]:
    """(https port, http port) of a served child process."""
    env = {**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}"}
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.tls", "serve", str(directory)],
        stdout=subprocess.PIPE, env=env, cwd=SOURCE_DIR, text=True,
    )  # fmt: skip
    try:
        line = child.stdout.readline() if child.stdout else ""
        ports = line.split()
        if len(ports) != 2 or not all(port.isdigit() for port in ports):
            raise RuntimeError(f"the server did not start (it printed {line!r})")
        yield int(ports[0]), int(ports[1])
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)


def client_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a pinned client checks the fingerprint: not timed
    context.minimum_version = context.maximum_version = version
    return context


def _millis(action: Callable[[], object]) -> list[float]:
    taken = []
    for _ in range(CONNECTIONS):
        started = time.perf_counter()
        action()
        taken.append((time.perf_counter() - started) * 1000)
    return taken


def handshake(port: int, context: ssl.SSLContext) -> None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        tls.version()


def health(connection: http.client.HTTPConnection) -> None:
    try:
        connection.request("GET", "/api/v1/health")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"health answered {response.status}")
    finally:
        connection.close()


def percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100)
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}


def run(board: str) -> dict[str, Any]:
    del board  # the server is the same on every board
    tls13 = client_context(ssl.TLSVersion.TLSv1_3)
    tls12 = client_context(ssl.TLSVersion.TLSv1_2)
    with (
        tempfile.TemporaryDirectory(prefix="orpheus-bench-tls-") as tmp,
        server_process(Path(tmp)) as (https_port, http_port),
    ):
        handshake(https_port, tls13)  # warm up
        results = {
            "connections_per_figure": CONNECTIONS,
            "certificate": "ECDSA P-256, self-signed (the unit's own)",
            "handshake_tls13": percentiles(_millis(lambda: handshake(https_port, tls13))),
            "handshake_tls12": percentiles(_millis(lambda: handshake(https_port, tls12))),
            "health_new_https_connection": percentiles(_millis(lambda: health(
                http.client.HTTPSConnection("127.0.0.1", https_port, context=tls13, timeout=10)
            ))),
            "health_new_http_connection": percentiles(_millis(lambda: health(
                http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            ))),
        }  # fmt: skip
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]))
    else:
        print(json.dumps(run("mini"), indent=2))
