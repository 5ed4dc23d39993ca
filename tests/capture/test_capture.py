"""Packet capture on a real agent with the image's Asterisk: a capture started with
orpheusctl while sipp registers and calls, stopped, downloaded (tcpdump -r reads SIP in it),
its dialogs listed and a ladder drawn.

The host unit's agent runs in a network namespace, not under systemd: a transient unit would
capture the host's namespace, so tcpdump runs as the agent's child here (capture_runner =
"agent"); the transient unit's properties are checked in tests/unit/capture/ with systemd
faked."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.pbx_unit import PASSWORD, Unit, add_extension, register_phone, running_unit
from testbed.polling import wait_for
from testbed.sipp import Sipp, phone_args

pytestmark = pytest.mark.rootfs


@pytest.fixture(scope="module")
def unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    tcpdump = shutil.which("tcpdump")
    if tcpdump is None:
        pytest.fail("tcpdump is not installed on the host (builder/hosttools.py installs it)")
    workdir = tmp_path_factory.mktemp("capture-unit")
    netns = f"orpheus-capture-{os.getpid()}"
    settings = {"capture_command": tcpdump, "capture_quota_mb": 25}  # the testbed's runner: agent
    with running_unit(rootfs, workdir, netns, "lite", "ORP-CAP-0001", settings) as unit:
        for number in ("101", "102"):
            add_extension(unit, number)
        yield unit


def _get(unit: Unit, path: str) -> tuple[int, str, bytes]:
    """GET over the agent's Unix socket: status, content type, body."""

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(30)
            self.sock.connect(str(unit.agent.socket))

    connection = Connection("localhost", timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def _captures(unit: Unit) -> dict[str, Any]:
    return unit.agent.ctl_json("capture", "list", "--json")  # type: ignore[return-value]


def test_a_capture_of_a_call_lists_its_dialog_and_draws_its_ladder(
    unit: Unit, tmp_path: Path
) -> None:
    started = unit.agent.ctl("capture", "start", "--filter", "sip", "--duration", "120", "--json")
    assert started.returncode == 0, started.stderr
    capture = json.loads(started.stdout)
    assert capture["max_size_mb"] == 10  # none asked: the default bound applies
    wait_for("tcpdump to write its file", lambda: _size(unit, capture["id"]) > 0, timeout=30)
    phone = register_phone(unit, "102", 5072, 31100)
    try:
        Sipp(unit.agent.netns, unit.agent.workdir, "caller").run(
            "call.xml", phone_args("102", "101", PASSWORD, 5080, 32000, 1)
        )
    finally:
        phone.stop()
    stopped = unit.agent.ctl("capture", "stop", capture["id"])
    assert stopped.returncode == 0, stopped.stderr
    assert "finished" in stopped.stdout

    pcap = tmp_path / "call.pcap"
    download = unit.agent.ctl("capture", "download", capture["id"], "-o", str(pcap))
    assert download.returncode == 0, download.stderr
    read = subprocess.run(["tcpdump", "-n", "-r", str(pcap)], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert "SIP: INVITE sip:102@" in read.stdout and "SIP: REGISTER" in read.stdout, read.stdout

    shown: dict[str, Any] = unit.agent.ctl_json("capture", "show", capture["id"], "--json")  # type: ignore[assignment]
    # Two legs: the caller's to Asterisk (challenged, then answered) and Asterisk's to 102.
    invites = [d for d in shown["dialogs"] if d["method"] == "INVITE"]
    assert len(invites) == 2, shown["dialogs"]
    for leg in invites:
        assert "101" in leg["from"] and "102" in leg["to"], leg
        assert leg["final_response"] == "200 OK" and leg["duration"] >= 0, leg
    call = invites[0]
    assert any(d["method"] == "REGISTER" for d in shown["dialogs"])

    path = f"/api/v1/captures/{capture['id']}/dialogs/{call['call_id']}/ladder.svg"
    status, kind, svg = _get(unit, path.replace("@", "%40"))
    assert status == 200 and kind.startswith("image/svg+xml")
    assert svg.startswith(b"<?xml") and b">INVITE<" in svg and b"200 OK" in svg

    deleted = unit.agent.ctl("capture", "delete", capture["id"])
    assert deleted.returncode == 0, deleted.stderr
    assert all(c["id"] != capture["id"] for c in _captures(unit)["captures"])


def _size(unit: Unit, capture_id: str) -> int:
    found = [c for c in _captures(unit)["captures"] if c["id"] == capture_id]
    return int(found[0]["size_bytes"]) if found else 0


@pytest.mark.parametrize(
    "value", ["5060 or 1=1", "5060; rm -rf /", "5060\nhost 10.0.0.1", "$(reboot)"]
)
def test_a_filter_with_syntax_tricks_is_refused_and_nothing_runs(unit: Unit, value: str) -> None:
    before = _captures(unit)["captures"]
    result = unit.agent.ctl("capture", "start", "--filter", "port", value)
    assert result.returncode == 1 and "port" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _captures(unit)["captures"] == before


def test_a_capture_over_the_quota_is_refused(unit: Unit) -> None:
    result = unit.agent.ctl("capture", "start", "--max-size", "30")
    assert result.returncode == 1 and "quota" in result.stderr


def test_a_short_small_capture_ends_by_its_duration_in_one_file(unit: Unit, tmp_path: Path) -> None:
    """--max-size 1: tcpdump -W 1 writes its one file without a number; --duration 1 ends it."""
    started = unit.agent.ctl("capture", "start", "--max-size", "1", "--duration", "1", "--json")
    assert started.returncode == 0, started.stderr
    capture = json.loads(started.stdout)

    def finished() -> bool:
        found = [c for c in _captures(unit)["captures"] if c["id"] == capture["id"]]
        return bool(found) and found[0]["state"] == "finished"

    wait_for("the capture to end by its duration", finished, timeout=30)
    shown: dict[str, Any] = unit.agent.ctl_json("capture", "show", capture["id"], "--json")  # type: ignore[assignment]
    assert shown["message"].startswith("its duration ended") and shown["size_bytes"] >= 24
    job: dict[str, Any] = unit.agent.ctl_json("jobs", "show", str(capture["job_id"]), "--json")  # type: ignore[assignment]
    assert job["kind"] == "capture" and job["state"] == "succeeded"
    pcap = tmp_path / "short.pcap"
    assert unit.agent.ctl("capture", "download", capture["id"], "-o", str(pcap)).returncode == 0
    subprocess.run(["tcpdump", "-n", "-r", str(pcap)], capture_output=True, check=True)
    assert unit.agent.ctl("capture", "delete", capture["id"]).returncode == 0
