"""Peers of a unit for the firewall tests: network namespaces of their own, each joined to
the unit's by a veth pair on a /24 of 10.77.x.0, with an HTTPS client and sipp phones.

A dropped packet shows as a connection that times out: the client gives up after a few
seconds and answers None (the bound only ends the attempt, it measures nothing)."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testbed.pbx_unit import HTTPS_PORT, PASSWORD
from testbed.sipp import SCENARIO_DIR

CONNECT_SECONDS = 3.0
_REQUEST = r"""
import http.client, json, ssl, sys
host, port, method, path, headers, body, timeout = json.loads(sys.argv[1])
try:
    connection = http.client.HTTPSConnection(host, port, timeout=timeout,
                                             context=ssl._create_unverified_context())
    connection.request(method, path, body=None if body is None else json.dumps(body),
                       headers=headers)
    response = connection.getresponse()
    raw = response.read()
    print(json.dumps([response.status, json.loads(raw) if raw else None]))
except OSError as error:
    print(json.dumps([None, str(error)]))
"""


@dataclass(frozen=True)
class Peer:
    netns: str
    address: str  # the peer's own
    unit_address: str  # the unit's, on this link

    def http(
        self, method: str, path: str, body: Any = None, *, user: str, password: str,
        port: int = HTTPS_PORT,
    ) -> tuple[int | None, Any]:  # fmt: skip
        """(status, JSON body) over HTTPS (the certificate unchecked), or (None, the error)
        when the unit cannot be reached."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = [self.unit_address, port, method, path, headers, body, CONNECT_SECONDS]
        result = subprocess.run(
            ["ip", "netns", "exec", self.netns, sys.executable, "-c", _REQUEST,
             json.dumps(request)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        status, answer = json.loads(result.stdout)
        return status, answer

    def sipp(
        self, workdir: Path, name: str, scenario: str, args: list[str], source: str | None = None
    ) -> list[str]:
        """The command of a sipp run from this peer (from `source`, one of its addresses)."""
        return ["ip", "netns", "exec", self.netns, "sipp", "-sf", str(SCENARIO_DIR / scenario),
                "-nostdin", f"{self.unit_address}:5060", "-i", source or self.address,
                "-trace_err", "-error_file", str(workdir / f"sipp-{name}.errors"),
                *args]  # fmt: skip

    def register(
        self, workdir: Path, name: str, number: str, password: str = PASSWORD, port: int = 5080
    ) -> bool:
        """One REGISTER with digest authentication: True when the unit answered 200."""
        command = self.sipp(workdir, name, "register.xml", [
            "-p", str(port), "-key", "caller", number, "-au", number, "-ap", password,
            "-m", "1", "-timeout", "5s"])  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        return result.returncode == 0

    def call(self, workdir: Path, name: str, caller: str, callee: str, port: int = 5082) -> bool:
        """One authenticated call from extension `caller`, hung up once answered: True when
        it was answered (200) and ended cleanly."""
        command = self.sipp(workdir, name, "call.xml", [
            "-p", str(port), "-mp", str(port + 20000), "-s", callee, "-key", "caller", caller,
            "-au", caller, "-ap", PASSWORD, "-m", "1", "-timeout", "10s"])  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        return result.returncode == 0


@contextlib.contextmanager
def peer(unit_netns: str, name: str, subnet: int) -> Iterator[Peer]:
    """A namespace `name` on 10.77.<subnet>.2, the unit on 10.77.<subnet>.1 (link fw<subnet>)."""
    unit_address, address = f"10.77.{subnet}.1", f"10.77.{subnet}.2"
    link = f"fw{subnet}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        steps = [
            ["ip", "-n", unit_netns, "link", "add", link, "type", "veth",
             "peer", "name", "eth0", "netns", name],
            ["ip", "-n", unit_netns, "addr", "add", f"{unit_address}/24", "dev", link],
            ["ip", "-n", unit_netns, "link", "set", link, "up"],
            ["ip", "-n", name, "addr", "add", f"{address}/24", "dev", "eth0"],
            ["ip", "-n", name, "link", "set", "eth0", "up"],
            ["ip", "-n", name, "link", "set", "lo", "up"],
        ]  # fmt: skip
        for step in steps:
            subprocess.run(step, check=True)
        yield Peer(name, address, unit_address)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
