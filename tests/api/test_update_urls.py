"""Bundle URLs on the real server and update feature (RAUC and systemd faked: only the booted
image has them, testbed/update_api.py) in a network namespace "unit" joined by a veth pair to
a namespace "net", where a bundle server sends the unit back to itself by a redirect.

unit: 10.77.0.1 (eth0), the API on 127.0.0.1:8080, a service on 127.0.0.1:9000 that must
never be asked; net: 10.77.0.2, a redirector on port 8000."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.rootfs

PASSWORD = "url-admin-pass"
REPO = Path(__file__).resolve().parents[2]
# This tree's agent, not whichever one the shared virtualenv has installed.
ENV = {**os.environ, "PYTHONPATH": f"{REPO / 'agent'}:{REPO}"}
UNIT_ADDRESS, NET_ADDRESS = "10.77.0.1", "10.77.0.2"
POST = """
import base64, json, sys, urllib.error, urllib.request
request = urllib.request.Request("http://127.0.0.1:8080/api/v1/update", data=sys.argv[1].encode(),
    headers={"Content-Type": "application/json", "Authorization": "Basic "
             + base64.b64encode(b"admin:" + sys.argv[2].encode()).decode()}, method="POST")
try:
    with urllib.request.urlopen(request, timeout=60) as response:
        print(response.status, response.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
"""


@dataclass
class Lab:
    unit: str
    net: str
    workdir: Path

    def post(self, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        out = self.run_in(self.unit, "-c", POST, json.dumps(body), PASSWORD).stdout
        status, _, text = out.partition(" ")
        return int(status), json.loads(text)

    def run_in(self, netns: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = ["ip", "netns", "exec", netns, sys.executable, *args]
        return subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=120, env=ENV
        )

    def serve(self, netns: str, name: str, *args: str) -> subprocess.Popen[str]:
        log = (self.workdir / f"{name}.err").open("wb")
        process = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", *args],
            stdout=subprocess.PIPE, stderr=log, text=True, env=ENV,
        )  # fmt: skip
        assert process.stdout is not None and process.stdout.readline() == "serving\n"
        return process


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[Lab, list[subprocess.Popen[str]]]]:
    unit, net = f"orpheus-url-unit-{os.getpid()}", f"orpheus-url-net-{os.getpid()}"
    processes: list[subprocess.Popen[str]] = []
    _ip("netns", "add", unit)
    _ip("netns", "add", net)
    try:
        _ip("-n", unit, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", net)
        for netns, address in ((unit, UNIT_ADDRESS), (net, NET_ADDRESS)):
            _ip("-n", netns, "link", "set", "lo", "up")
            _ip("-n", netns, "address", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", netns, "link", "set", "eth0", "up")
        here = Lab(unit, net, tmp_path)
        processes.append(here.serve(unit, "api", "testbed.update_api", str(tmp_path), "8080",
                                    PASSWORD))  # fmt: skip
        yield here, processes
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        _ip("netns", "del", net)
        _ip("netns", "del", unit)


def _requests(process: subprocess.Popen[str]) -> list[str]:
    process.terminate()
    out, _ = process.communicate(timeout=30)
    return out.splitlines()


def _slots(lab: Lab) -> tuple[object, object]:
    """What an install changes (a refusal is kept as the last install, nothing else)."""
    state = json.loads((lab.workdir / "data/orpheus/update/state.json").read_text())
    return state.get("slots"), state.get("pending")


@pytest.mark.parametrize(
    ("target", "named"),
    [
        ("http://127.0.0.1:9000/b.raucb", "127.0.0.1, the unit itself"),
        (f"http://{UNIT_ADDRESS}:9000/b.raucb", f"{UNIT_ADDRESS}, an address of the unit itself"),
    ],
)
def test_a_bundle_url_redirecting_to_the_unit_itself_is_refused(
    lab: tuple[Lab, list[subprocess.Popen[str]]], target: str, named: str
) -> None:
    here, processes = lab
    inside = here.serve(here.unit, "inside", "testbed.redirector", "0.0.0.0", "9000", "-")
    outside = here.serve(here.net, "outside", "testbed.redirector", NET_ADDRESS, "8000", target)
    processes += [inside, outside]
    before = _slots(here)
    url = f"http://{NET_ADDRESS}:8000/b.raucb"
    status, answer = here.post({"url": url})
    assert status == 400, answer
    assert answer["error"] == f"URL refused: redirected to {target}: {named}"
    assert _slots(here) == before
    assert _requests(outside) == ["HEAD /b.raucb"]
    assert _requests(inside) == []  # the unit's own service was never asked
    status, answer = here.post({"url": target})  # and asked straight away
    assert status == 400 and answer["error"] == f"URL refused: {named}", answer


def test_a_bundle_server_elsewhere_is_asked(lab: tuple[Lab, list[subprocess.Popen[str]]]) -> None:
    """The QEMU walk's bundle server (10.0.2.2, the host) is such a server: not refused."""
    here, processes = lab
    outside = here.serve(here.net, "outside", "testbed.redirector", NET_ADDRESS, "8000", "-")
    processes.append(outside)
    status, answer = here.post({"url": f"http://{NET_ADDRESS}:8000/b.raucb"})
    assert status == 400
    assert answer["error"] == f"cannot download http://{NET_ADDRESS}:8000/b.raucb: HTTP 404"
    assert _requests(outside) == ["HEAD /b.raucb"]
