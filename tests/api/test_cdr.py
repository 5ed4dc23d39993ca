"""Call detail records on the real agent and the root filesystem's Asterisk: the agent turns
cdr_manager and cdr_custom (to RAM) on and cdr_csv off; a call's record arrives over AMI, is
stored encrypted once (no plain record anywhere on the data partition, no Master.csv), and
lists and exports (CSV) with the privacy password only; a line decrypts with Debian's age
and the exported identity. A call that ends while the agent is stopped is stored when it
starts again (from cdr_custom's spool in RAM), and the spool is emptied."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orpheus.cdr.asterisk_side import render_cdr_manager
from testbed.pbx_unit import Unit, add_extension, register_phone, running_unit
from testbed.polling import wait_for

pytestmark = pytest.mark.rootfs

OFFICER_PASSWORD = "cdr officer's password"
NUMBER = "1701"
NO_PHONE = "1702"  # an extension no phone registered for: the call fails


@pytest.fixture(scope="module")
def unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    """A unit of its own: the package's shared one gets a privacy password from the fuzzer."""
    workdir = tmp_path_factory.mktemp("cdr-unit")
    netns = f"orpheus-cdr-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="lite", serial="ORP-CDR-0001") as unit:
        yield unit


def _manager_ready(unit: Unit) -> bool:
    conf = unit.sandbox.data / "etc/asterisk/cdr_manager.conf"
    if not conf.exists() or conf.read_text() != render_cdr_manager():
        return False
    shown = unit.cli("module show like cdr_")
    lines = {line.split()[0]: line for line in shown.splitlines() if line.strip()}
    return "Not Running" not in lines.get("cdr_manager.so", "Not Running") and (
        "cdr_csv.so" not in lines or "Not Running" in lines["cdr_csv.so"]
    )


def test_a_call_record_is_stored_encrypted_and_read_with_the_password(
    unit: Unit, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "privacy", "set-password", "--stdin")
    assert result.returncode == 0, result.stderr
    add_extension(unit, NUMBER)
    add_extension(unit, NO_PHONE)
    wait_for("cdr_manager on, cdr_csv off", lambda: _manager_ready(unit), timeout=30, interval=0.2)
    backends = unit.cli("cdr show status").split("Registered Backends", 1)[1]
    names = [line.strip() for line in backends.split("\n")[2:] if line.strip()]
    assert sorted(names) == ["CDR File custom bac", "cdr_manager"]  # cdr_custom's name, cut
    unit.cli(f"channel originate Local/{NO_PHONE}@orpheus-targets/n application Wait 1")

    phone = register_phone(unit, NUMBER, 5076, 31300)
    try:
        unit.cli(f"channel originate Local/{NUMBER}@orpheus-targets/n application Wait 1")

        def listed() -> list[dict[str, Any]]:
            result = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "cdr", "list", "--json",
                                    "--extension", NUMBER, "--stdin")  # fmt: skip
            assert result.returncode == 0, result.stderr
            return [r for r in json.loads(result.stdout)["records"] if r["dst"] == NUMBER]

        records = wait_for("the call's record", listed, timeout=30, interval=0.3)
    finally:
        phone.stop()
    record = next(r for r in records if NUMBER in r["extensions"])
    assert (record["disposition"], record["direction"], record["trunk"]) == (
        "answered", "internal", None,
    )  # fmt: skip
    assert record["billsec"] >= 1 and record["start"].endswith("+00:00")
    assert record["answer"] is not None and record["end"] >= record["start"]
    failed = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "cdr", "list", "--json",
                            "--disposition", "failed", "--stdin")  # fmt: skip
    assert failed.returncode == 0, failed.stderr
    unanswered = json.loads(failed.stdout)["records"]
    assert unanswered and {(r["dst"], r["answer"], r["billsec"]) for r in unanswered} == {
        (NO_PHONE, None, 0)
    }

    # On the data partition: only the encrypted day file, no plain record (nor Master.csv).
    day_files = list((unit.sandbox.data / "cdr").iterdir())
    assert [p.suffix for p in day_files] == [".cdr"] * len(day_files) and day_files
    for path in unit.sandbox.data.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != "agent.log":
            assert record["id"].encode() not in path.read_bytes(), path
    assert not list(unit.sandbox.data.rglob("Master.csv"))

    # Without the password, or with a wrong one: refused.
    wrong = unit.agent.ctl_input("not the password\n", "cdr", "list", "--stdin")
    assert wrong.returncode == 1 and "wrong privacy password" in wrong.stderr
    exported = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "cdr", "export", "--disposition",
                              "answered", "--extension", NUMBER, "--stdin")  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert record["id"] in [row["id"] for row in rows]

    # A line decrypts with Debian's age and the exported identity.
    identity = tmp_path / "identity.txt"
    answer = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "privacy", "export-identity", "--stdin")
    identity.write_text(answer.stdout)
    sealed = tmp_path / "line.age"
    plain = b""
    for path in day_files:
        for line in path.read_bytes().splitlines():
            sealed.write_bytes(base64.b64decode(line))
            plain += subprocess.run(["age", "-d", "-i", str(identity), str(sealed)],
                                    capture_output=True, check=True).stdout  # fmt: skip
    assert f'"id": "{record["id"]}"'.encode() in plain
    print(f"the CDR test took {time.monotonic() - started:.1f} s")


def test_a_call_ending_while_the_agent_is_stopped_is_stored_when_it_starts(unit: Unit) -> None:
    """Runs after the test above (the password set, cdr_manager and cdr_custom on)."""
    wait_for("cdr_manager on, cdr_csv off", lambda: _manager_ready(unit), timeout=30, interval=0.2)
    spool = unit.sandbox.root / "run/orpheus-cdr"
    number = "1703"  # no phone: the call fails at once, its record written as it ends
    add_extension(unit, number)
    unit.agent.stop()
    try:
        unit.cli(f"channel originate Local/{number}@orpheus-targets/n application Wait 1")
        wait_for("the record in the RAM spool", lambda: _spooled(spool, number), timeout=30,
                 interval=0.2)  # fmt: skip
    finally:
        unit.agent.start()

    def listed() -> list[dict[str, Any]]:
        result = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "cdr", "list", "--json",
                                "--extension", number, "--stdin")  # fmt: skip
        assert result.returncode == 0, result.stderr
        return [r for r in json.loads(result.stdout)["records"] if r["dst"] == number]

    records = wait_for("the record stored from the spool", listed, timeout=30, interval=0.3)
    # One record for each half of the Local channel, each stored once.
    assert {(r["disposition"], r["answer"]) for r in records} == {("failed", None)}
    first = [r["id"] for r in records]
    assert len(first) == len(set(first)) == 2
    wait_for("the spool emptied", lambda: not list(spool.iterdir()), timeout=30, interval=0.2)
    # A call while the agent runs comes both ways (AMI and the spool): stored once.
    unit.cli(f"channel originate Local/{number}@orpheus-targets/n application Wait 1")
    wait_for("the second call's records", lambda: len(listed()) == 4, timeout=30, interval=0.3)
    # Its spool rows were written as its AMI events were sent: once the agent drained them,
    # each record is still there once.
    wait_for("the spool emptied again", lambda: not list(spool.iterdir()), timeout=30,
             interval=0.2)  # fmt: skip
    ids = [r["id"] for r in listed()]
    assert len(ids) == len(set(ids)) == 4


def _spooled(spool: Path, number: str) -> bool:
    path = spool / "spool.csv"
    return path.exists() and f'"{number}"' in path.read_text()
