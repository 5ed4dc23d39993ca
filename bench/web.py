"""Web page benchmark (issue 18): the weight of each page of the admin page (its HTML and the
stylesheet and scripts it loads, in bytes; nothing is fetched from outside the unit), and the
server's time to render the dashboard: p50/p99 over HTTPS on loopback from inside the unit's
network namespace (so no network's figures), one connection per request, TLS handshake
included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from orpheus.web.feature import PAGES as NAVIGATION
from testbed.pbx_unit import HTTPS_PORT, running_unit

ROOTFS = Path(__file__).resolve().parent.parent / "build/rootfs"
RENDERS = 100
# Every page: those before the navigation (log-in, password, wizard), then each it lists.
PAGES = ("/login", "/password", "/wizard", *(path for path, _, _ in NAVIGATION))
NEW_PASSWORD = "Quiet-Lantern-Orbit-7319"  # noqa: S105 - the bench unit's, thrown away
# Runs in the namespace: log in, change the initial password, weigh each page, time renders.
_CLIENT = r"""
import http.client, json, re, ssl, sys, time
initial, new, pages, renders = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
port = int(sys.argv[5])
unverified = ssl._create_unverified_context()  # the unit's self-signed certificate
def send(method, path, body=None, headers=None, cookie=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=60, context=unverified)
    h = dict(headers or {})
    if body is not None:
        h["Content-Type"] = "application/json"
    if cookie:
        h["Cookie"] = "orpheus_session=" + cookie
    c.request(method, path, body=None if body is None else json.dumps(body), headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r, raw
def cookie_of(r):
    return r.getheader("Set-Cookie").split(";")[0].split("=", 1)[1]
r, raw = send("POST", "/api/v1/session", {"name": "admin", "password": initial})
cookie, csrf = cookie_of(r), json.loads(raw)["csrf_token"]
weights = {}
r, raw = send("GET", "/password", cookie=cookie)
password_page = raw
r, raw = send("PUT", "/api/v1/session/password", {"current_password": initial, "password": new},
              {"X-CSRF-Token": csrf}, cookie)
cookie = cookie_of(r)
assets = {}
for page in pages:
    r, raw = send("GET", page, cookie=cookie) if page != "/password" else (None, password_page)
    total = len(raw)
    for asset in re.findall(rb'(?:href|src)="(/static/[^"]+)"', raw):
        if asset not in assets:
            assets[asset] = len(send("GET", asset.decode())[1])
        total += assets[asset]
    external = re.findall(rb'(?:href|src)="(?:https?:)?//', raw)
    weights[page] = {"html": len(raw), "total": total, "external": len(external)}
taken = []
for _ in range(renders):
    started = time.perf_counter()
    r, raw = send("GET", "/dashboard", cookie=cookie)
    taken.append((time.perf_counter() - started) * 1000)
    assert r.status == 200, r.status
print(json.dumps({"weights": weights, "dashboard_ms": sorted(taken)}))
"""


def _p(values: list[float], share: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * share))], 2)


def run(board: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-web-") as tmp:
        workdir = Path(tmp)
        netns = f"orpheus-bench-web-{os.getpid()}"
        with running_unit(ROOTFS, workdir, netns, board="mini", serial="ORP-BENCH-WEB") as unit:
            initial = next(Path(unit.agent.data_dir).rglob("initial-admin-password"))
            result = subprocess.run(
                ["ip", "netns", "exec", netns, sys.executable, "-c", _CLIENT,
                 initial.read_text().strip(), NEW_PASSWORD, json.dumps(PAGES), str(RENDERS),
                 str(HTTPS_PORT)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
    measured = json.loads(result.stdout)
    figures: dict[str, Any] = {}
    for page, weight in measured["weights"].items():
        name = page.strip("/").replace("/", "_")
        figures[f"page_{name}_bytes"] = weight["total"]
        figures[f"page_{name}_html_bytes"] = weight["html"]
    figures["external_requests"] = sum(w["external"] for w in measured["weights"].values())
    taken = measured["dashboard_ms"]
    figures["dashboard_render_ms_p50"] = _p(taken, 0.5)
    figures["dashboard_render_ms_p99"] = _p(taken, 0.99)
    figures["dashboard_renders"] = RENDERS
    return figures
