"""A capture of a call over SIP over TLS (encrypted on 5061, so tcpdump's packets hold no SIP
of it) still lists the call's dialog and draws its ladder: Asterisk's res_hep_pjsip sends
the decrypted signalling over HEP to the agent's receiver on 127.0.0.1 while the capture
runs, and the agent writes it into the capture. After the capture, HEP is off again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orpheus.capture.hep_asterisk import module_running
from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import PASSWORD, Unit, add_extension, register_phone, running_unit
from testbed.polling import UNIT_TIMEOUT_SECONDS, wait_for
from tests.capture.test_capture import _get, _size

pytestmark = pytest.mark.rootfs

TLS_CALLER = "101"  # testbed/tls_phone.py over TLS with SRTP
CALLED = "102"  # a sipp phone over UDP, answering


@pytest.fixture(scope="module")
def unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    tcpdump = shutil.which("tcpdump")
    if tcpdump is None:
        pytest.fail("tcpdump is not installed on the host (builder/hosttools.py installs it)")
    workdir = tmp_path_factory.mktemp("capture-tls-unit")
    netns = f"orpheus-captls-{os.getpid()}"
    settings = {"capture_command": tcpdump, "capture_quota_mb": 25}
    with running_unit(rootfs, workdir, netns, "lite", "ORP-CAP-0002", settings) as unit:
        added = unit.agent.ctl("pbx", "add", "extension", f"number={TLS_CALLER}",
                               f"password={PASSWORD}", "transport=tls",
                               "media_encryption=sdes")  # fmt: skip
        assert added.returncode == 0, added.stderr
        add_extension(unit, CALLED)
        yield unit


def _tls_call(unit: Unit) -> dict[str, Any]:
    command = ["ip", "netns", "exec", unit.agent.netns, sys.executable, "-m", "testbed.tls_phone",
               "--user", TLS_CALLER, "--password", PASSWORD, "--call", CALLED,
               "--hold", "1"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=SOURCE_DIR,
                            timeout=UNIT_TIMEOUT_SECONDS, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _send_garbage(unit: Unit) -> None:
    script = (
        "import os, socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for data in (b'HEP3\\xff\\xff' + os.urandom(900), os.urandom(2000), b'HEP3'):\n"
        "    s.sendto(data, ('127.0.0.1', 9064))\n"
    )
    subprocess.run(["ip", "netns", "exec", unit.agent.netns, sys.executable, "-c", script],
                   check=True, timeout=30)  # fmt: skip


def _hep_running(unit: Unit) -> bool:
    return module_running(unit.cli("module show like res_hep_pjsip.so"), "res_hep_pjsip.so")


def test_a_tls_call_in_a_capture_is_listed_from_asterisks_decrypted_sip(
    unit: Unit, tmp_path: Path
) -> None:
    assert not _hep_running(unit)  # off while no capture runs
    started = unit.agent.ctl("capture", "start", "--filter", "sip", "--duration", "120", "--json")
    assert started.returncode == 0, started.stderr
    capture = json.loads(started.stdout)
    wait_for("tcpdump to write its file", lambda: _size(unit, capture["id"]) > 0, timeout=30)
    assert _hep_running(unit)
    _send_garbage(unit)  # hostile datagrams on the receiver's port: dropped and counted
    phone = register_phone(unit, CALLED, 5072, 31100)
    try:
        call = _tls_call(unit)
    finally:
        phone.stop()
    assert (call["invite"], call["bye"]) == (200, 200), call
    stopped = unit.agent.ctl("capture", "stop", capture["id"])
    assert stopped.returncode == 0, stopped.stderr
    assert "SIP messages from Asterisk (HEP), 3 dropped" in stopped.stdout, stopped.stdout

    directory = unit.agent.workdir / "run/captures" / capture["id"]
    call_id = call["call_id"].encode()
    ring = [path for path in directory.iterdir() if path.name.startswith("capture.pcap")]
    assert ring and all(call_id not in path.read_bytes() for path in ring)  # encrypted there
    assert call_id in (directory / "hep.pcap").read_bytes()

    shown: dict[str, Any] = unit.agent.ctl_json("capture", "show", capture["id"], "--json")  # type: ignore[assignment]
    (dialog,) = [d for d in shown["dialogs"] if d["call_id"] == call["call_id"]]
    assert dialog["method"] == "INVITE" and TLS_CALLER in dialog["from"], dialog
    assert CALLED in dialog["to"] and dialog["final_response"] == "200 OK", dialog
    assert 0.5 <= dialog["duration"] < 30, dialog  # answered, then BYE after --hold 1

    path = f"/api/v1/captures/{capture['id']}/dialogs/{call['call_id']}/ladder.svg"
    status, kind, svg = _get(unit, path)
    assert status == 200 and kind.startswith("image/svg+xml")
    for label in (b">INVITE<", b"200 OK", b">BYE<"):
        assert label in svg, label

    # The download is one pcap: tcpdump's ring and the decrypted SIP, which tcpdump reads
    # as UDP to 5061 from the phone's address and port.
    pcap = tmp_path / "tls.pcap"
    download = unit.agent.ctl("capture", "download", capture["id"], "-o", str(pcap))
    assert download.returncode == 0, download.stderr
    assert call_id in pcap.read_bytes()
    read = subprocess.run(["tcpdump", "-n", "-r", str(pcap), "udp", "port", "5061"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert ".5061: UDP" in read.stdout or ".5061: SIP" in read.stdout, read.stdout

    assert not _hep_running(unit)  # the last capture ended: HEP is off again
    assert "enabled=no" in (unit.sandbox.data / "etc/asterisk/hep.conf").read_text()
    assert unit.agent.ctl("capture", "delete", capture["id"]).returncode == 0
