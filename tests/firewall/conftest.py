"""One unit for the firewall tests, listening on every address of its namespace, with two
peers: the admin's network (10.77.1.2) and another (10.77.2.2), each on a veth of its own.
nftables in the unit's namespace touches none of the host's rules."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testbed.firewall_lab import Peer, peer
from testbed.pbx_unit import Unit, running_unit
from tests.api.conftest import local_request

USER, PASSWORD = "netadmin", "tangerine-kayak-91"
FIREWALL = "/api/v1/firewall"


@dataclass
class Lab:
    unit: Unit
    admin: Peer  # the admin's own network
    other: Peer

    def console(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        raw = None if body is None else json.dumps(body).encode()
        return local_request(self.unit, method, path, raw)

    def reset(self) -> None:
        """Every list open again, confirmed, nothing blocked."""
        status, state = self.console("GET", FIREWALL)
        assert status == 200, state
        if state["pending"]:
            assert self.console("POST", f"{FIREWALL}/confirm", {})[0] == 200
        status, answer = self.console("POST", FIREWALL, {"allow": {}, "trusted": []})
        assert status == 200, answer
        assert self.console("POST", f"{FIREWALL}/confirm", {})[0] == 200
        _, blocked = self.console("GET", f"{FIREWALL}/blocked")
        for entry in blocked["blocked"]:
            self.console("DELETE", f"{FIREWALL}/blocked/{entry['address']}", {})


@pytest.fixture(scope="package")
def lab(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    workdir = tmp_path_factory.mktemp("firewall-unit")
    netns = f"orpheus-fw-{os.getpid()}"
    settings = {"http_address": "0.0.0.0"}
    with running_unit(rootfs, workdir, netns, "lite", "ORP-FW-0001", settings) as unit:
        status, answer = local_request(unit, "POST", "/api/v1/users", json.dumps(
            {"name": USER, "password": PASSWORD, "level": "administrator"}).encode())  # fmt: skip
        assert status == 201, answer
        with (
            peer(netns, f"orpheus-fw-admin-{os.getpid()}", 1) as admin,
            peer(netns, f"orpheus-fw-other-{os.getpid()}", 2) as other,
        ):
            yield Lab(unit, admin, other)


@pytest.fixture
def fresh(lab: Lab) -> Iterator[Lab]:
    lab.reset()
    yield lab
    lab.reset()
