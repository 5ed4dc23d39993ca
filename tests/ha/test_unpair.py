"""A Slave can still be repaired (issue 12, point 6): the write guard keeps the pair's
configuration read-only there, but not what belongs to the unit itself (its licence, its
firmware, its admin password, its pairing), and either unit can leave the pair."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus.cli.client import AgentError
from testbed.ha_lab import Lab, lab
from testbed.polling import wait_for

pytestmark = [pytest.mark.rootfs]
_tags = itertools.count(90)


@pytest.fixture
def pair_lab(rootfs: Path, tmp_path: Path) -> Iterator[Lab]:
    with lab(rootfs, tmp_path, f"{next(_tags)}") as running:
        yield running


def _error(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except AgentError as error:
        return str(error)
    raise AssertionError("the agent accepted it")


def test_a_slave_changes_what_is_its_own_and_unpairs(pair_lab: Lab) -> None:
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    for node in (a, b):
        node.start_agent()
    pair_lab.pair(a, b)
    wait_for(
        "a Master and a Slave", lambda: a.ha()["role"] == "master" and b.ha()["role"] == "slave"
    )
    extension = {"number": "301", "password": "Slave-pass-301"}
    refused = _error(lambda: b.client.request("POST", "/api/v1/pbx/extension", extension))
    assert "read-only" in refused and a.address in refused  # the pair's configuration
    # Its own licence is not the pair's: the guard lets it through to the licence checks.
    unsigned = {"payload": {}, "signature": "AA=="}
    licence = _error(lambda: b.client.request("PUT", "/api/v1/license", unsigned))
    assert "read-only" not in licence
    rollback = _error(lambda: b.client.request("POST", "/api/v1/update/rollback", {}))
    assert "read-only" not in rollback  # (no updates on the host: 404, not the guard's 409)

    left = b.ctl("ha", "unpair")
    assert left.returncode == 0, left.stderr
    assert "Unpaired from" in left.stdout
    status = b.ha()
    assert status["paired"] is False and status["role"] == "unpaired"
    wait_for("b's keepalived to stop", lambda: not b.keepalived_pids())
    assert not b.has_vip()
    assert not (b.data / "orpheus/ha/pair.json").exists()
    created = b.client.request("POST", "/api/v1/pbx/extension", extension)  # its own now
    assert created["record"]["number"] == "301"
    again = b.ctl("ha", "unpair")
    assert again.returncode != 0 and "not paired" in again.stderr
    audit = b.client.request("GET", "/api/v1/audit")
    assert any(entry["change"] == "ha.unpair" for entry in audit), json.dumps(audit)[-500:]
