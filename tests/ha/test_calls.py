"""Calls to the VIP survive the loss of the Master: the image's Asterisk runs in each node's
namespace, a sipp client in the gateway namespace knows only the VIP. So does a third party's
AMI account: it is the pair's, synced from the Master, and logs in on the VIP either side."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from testbed.ami_login import AmiLogin
from testbed.ha_lab import SUBNET, VIP, Lab, Node, lab
from testbed.ha_sip import SipClient
from testbed.polling import wait_for

pytestmark = [pytest.mark.rootfs]
_tags = itertools.count(70)
PASSWORD = "Ha-s3cret-Pass"
CALLER, CALLEE = "201", "202"
PHONE_PORT, CALLER_PORT = 5070, 5080


@pytest.fixture
def pair_lab(rootfs: Path, tmp_path: Path) -> Iterator[Lab]:
    with lab(rootfs, tmp_path, f"{next(_tags)}") as running:
        yield running


def _loaded(node: Node, *numbers: str) -> bool:
    assert node.asterisk is not None
    endpoints = node.asterisk.cli("pjsip show endpoints", check=False)
    return all(f" {number}/" in endpoints for number in numbers)


def _listed(node: Node) -> set[str]:
    return {record["number"] for record in node.client.request("GET", "/api/v1/pbx/extension")}


def _manager_conf(node: Node) -> str:
    return (node.data / "etc/asterisk/manager.conf").read_text()


def _add_ami_account(node: Node, name: str) -> subprocess.CompletedProcess[str]:
    return node.ctl("ami", "user", "add", name, "--permit", f"{SUBNET}.0/24",
                    "--read", "call", "--write", "reporting")  # fmt: skip


def _ami_logs_in_on_the_vip(ami: AmiLogin, secret: str) -> bool:
    answer = ami("crm", secret, host=VIP.split("/")[0])
    return bool(answer.get("login", {}).get("Response") == "Success")


def _register_and_call(client: SipClient) -> None:
    """The callee's phone registers to the VIP and answers; the caller calls it via the VIP."""
    assert client.register(CALLEE, PHONE_PORT) == 0, "the phone did not register to the VIP"
    phone = client.answering_phone(CALLEE, PHONE_PORT, 31000)
    try:
        assert client.call(CALLER, CALLEE, CALLER_PORT, 32000) == 0, "the call did not connect"
    finally:
        phone.stop()


def test_calls_to_the_vip_continue_on_the_slave(pair_lab: Lab) -> None:
    a = pair_lab.add_node("a", 1, real_asterisk=True)
    b = pair_lab.add_node("b", 2, real_asterisk=True)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(Node.start_asterisk, (a, b)))
    a.start_agent()
    b.start_agent()
    pair_lab.pair(a, b)
    wait_for("a to be the only Master", lambda: pair_lab.masters() == ["a"])
    wait_for("the VIP on a", lambda: pair_lab.vip_holders() == ["a"])

    for number in (CALLER, CALLEE):
        added = a.ctl("pbx", "add", "extension", f"number={number}", f"password={PASSWORD}")
        assert added.returncode == 0, added.stderr
    assert _loaded(a, CALLER, CALLEE)
    # The synced store and rendered files reach b, whose Asterisk reloads them.
    wait_for("b's Asterisk to load the extensions", lambda: _loaded(b, CALLER, CALLEE), 60)
    wait_for("b's PBX to list them", lambda: _listed(b) == {CALLER, CALLEE})
    refused = b.ctl("pbx", "add", "extension", "number=203", f"password={PASSWORD}")
    assert refused.returncode != 0 and a.address in refused.stderr

    added = _add_ami_account(a, "crm")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("secret: ", 1)[1].split()[0]
    wait_for("b to render the pair's AMI account", lambda: "[crm]" in _manager_conf(b), 60)
    assert f"secret={secret}" in _manager_conf(b)
    assert (b.data / "orpheus/ami-users.json").stat().st_mode & 0o777 == 0o600
    assert _manager_conf(a) != _manager_conf(b)  # each renders it with its own agent login
    refused = _add_ami_account(b, "erp")
    assert refused.returncode != 0 and a.address in refused.stderr
    ami = AmiLogin(pair_lab.gateway_ns)
    assert _ami_logs_in_on_the_vip(ami, secret)  # on a, the Master

    client = SipClient(pair_lab.gateway_ns, pair_lab.workdir, PASSWORD)
    _register_and_call(client)

    a.kill()
    wait_for("b to take the VIP", b.has_vip)  # a, dead, still holds it on its downed link
    wait_for("b to be Master", lambda: b.ha()["role"] == "master")
    _register_and_call(client)  # the same client, unchanged, now served by b
    assert _ami_logs_in_on_the_vip(ami, secret)  # the same account, on b
    added = b.ctl("pbx", "add", "extension", "number=203", f"password={PASSWORD}")
    assert added.returncode == 0, added.stderr  # b, now Master, takes changes
    assert _listed(b) == {CALLER, CALLEE, "203"}
