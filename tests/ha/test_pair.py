"""A real pair: two agents and the image's keepalived, each in its own network namespace."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.ha_lab import VIP, Lab, in_ns, lab
from testbed.polling import wait_for

pytestmark = [pytest.mark.rootfs]
_tags = itertools.count()


@pytest.fixture
def pair_lab(rootfs: Path, tmp_path: Path) -> Iterator[Lab]:
    with lab(rootfs, tmp_path, f"{next(_tags)}") as running:
        yield running


def _paired(pair_lab: Lab, *extra: str) -> tuple:  # type: ignore[type-arg]
    a, b = pair_lab.add_node("a", 1), pair_lab.add_node("b", 2)
    a.start_agent()
    b.start_agent()
    pair_lab.pair(a, b, *extra)
    wait_for("a to be the only Master", lambda: pair_lab.masters() == ["a"])
    wait_for("the VIP on a", lambda: pair_lab.vip_holders() == ["a"])
    wait_for("b's first sync", lambda: b.ha()["generation"]["local"] >= 1)
    return a, b


def _write(node, name: str, text: str) -> Path:  # type: ignore[no-untyped-def]
    path = node.data / "etc/asterisk/pjsip.d" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _synced(node, name: str, text: str) -> bool:  # type: ignore[no-untyped-def]
    path = node.data / "etc/asterisk/pjsip.d" / name
    return path.exists() and path.read_text() == text


def test_failover_sync_and_nopreempt(pair_lab: Lab) -> None:
    a, b = _paired(pair_lab)
    _write(a, "100.conf", "[100]\ntype=endpoint\n")
    wait_for("the change to reach b", lambda: _synced(b, "100.conf", "[100]\ntype=endpoint\n"))
    wait_for(
        "b at a's generation",
        lambda: a.ha()["generation"]["local"] == b.ha()["generation"]["local"],
    )
    status = a.ha()
    assert status["generation"]["local"] >= 2
    assert status["peer_reachable"] and status["vip"] == VIP

    a.kill()
    wait_for("b to take the VIP", lambda: b.has_vip())
    wait_for("b to be Master", lambda: b.ha()["role"] == "master")
    assert b.ha()["last_failover"]["reason"] == "peer stopped answering"

    # Changes made while the old Master is down reach it when it returns.
    _write(b, "200.conf", "[200]\ntype=endpoint\n")
    in_ns(a.ns, "ip", "link", "set", "eth0", "up")
    a.start_agent()
    wait_for("a to catch up", lambda: _synced(a, "200.conf", "[200]\ntype=endpoint\n"))
    wait_for("a to be Slave", lambda: a.ha()["role"] == "slave")
    time.sleep(2 * 0.1 * 3 + 3.5)  # longer than a preempt delay: nopreempt must keep b Master
    assert pair_lab.masters() == ["b"]
    assert pair_lab.vip_holders() == ["b"]


def test_preempt_takes_over_cleanly(pair_lab: Lab) -> None:
    a, b = _paired(pair_lab, "preempt=true")
    a.kill()
    wait_for("b to take the VIP", lambda: b.has_vip())
    in_ns(a.ns, "ip", "link", "set", "eth0", "up")
    a.start_agent()
    wait_for("a to take the VIP back", lambda: pair_lab.vip_holders() == ["a"])
    wait_for("one Master, a", lambda: pair_lab.masters() == ["a"])
    assert b.ha()["role"] == "slave"


def test_witness_decides_a_partition(pair_lab: Lab) -> None:
    _, b = _paired(pair_lab)
    pair_lab.detach(b)  # b sees neither a nor the gateway (the witness); a still sees it
    wait_for("b to refuse being Master", lambda: b.ha()["may_be_master"].startswith("isolated"))
    wait_for("exactly one Master", lambda: pair_lab.masters() == ["a"] and not b.has_vip())
    time.sleep(2)
    assert pair_lab.masters() == ["a"]
    assert b.ha()["role"] == "fault"


def test_split_brain_heals_to_the_newer_generation(pair_lab: Lab) -> None:
    a, b = _paired(pair_lab)
    pair_lab.isolate_from_each_other(a, b)  # both still reach the witness: two Masters
    wait_for("two Masters", lambda: sorted(pair_lab.masters()) == ["a", "b"])
    before = a.ha()["generation"]["local"]
    _write(a, "a-side.conf", "made on a\n")
    wait_for("a's generation to move", lambda: a.ha()["generation"]["local"] > before)
    start_b = b.ha()["generation"]["local"]
    for index in range(3):  # b ends two generations ahead of a
        _write(b, f"b-side-{index}.conf", "made on b\n")
        wait_for("b's change", lambda i=index: b.ha()["generation"]["local"] > start_b + i)
    assert b.ha()["generation"]["local"] > a.ha()["generation"]["local"]
    pair_lab.isolate_from_each_other(a, b, on=False)
    wait_for("b's changes on a", lambda: _synced(a, "b-side-2.conf", "made on b\n"))
    wait_for(
        "a's lost change reported",
        lambda: any(e["kind"] == "lost" for e in a.ha()["config_events"]),
    )
    assert not (a.data / "etc/asterisk/pjsip.d/a-side.conf").exists()
    wait_for("one Master, b", lambda: pair_lab.masters() == ["b"])
    assert a.ha()["generation"]["local"] == b.ha()["generation"]["local"]
    assert "yielded" in a.ha()["last_failover"]["reason"]
