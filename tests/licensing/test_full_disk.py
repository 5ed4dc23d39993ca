"""A full data partition under the real agent and Asterisk: a PBX change and a licence
install answer one line, and the files, the store and the running Asterisk stay as they were.

The unit's /data is a tmpfs of its own (mounted before the sandbox binds it into the root
filesystem), filled to the last block by the test and emptied again after each test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.full_data import full, small_data_unit
from testbed.pbx_unit import Unit

pytestmark = pytest.mark.rootfs

PASSWORD = "s3cret-Pass"
DATA_SIZE = "64m"


@pytest.fixture(scope="module")
def full_disk_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("full-disk-unit")
    netns = f"orpheus-lic-full-{os.getpid()}"
    with small_data_unit(rootfs, workdir, netns, "mini", "ORP-FULL-0001", DATA_SIZE) as unit:
        yield unit


def _state(unit: Unit) -> tuple[object, ...]:
    """The licence, the store (records and audit) and every file of Asterisk's, in bytes."""
    state_dir = unit.sandbox.data / "orpheus"
    licence = state_dir / "license.json"
    with sqlite3.connect(f"file:{state_dir / 'pbx.sqlite'}?mode=ro", uri=True) as db:
        records = db.execute("SELECT kind, key, data FROM records ORDER BY seq").fetchall()
        audit = db.execute("SELECT id, change, object FROM audit ORDER BY id").fetchall()
    etc = unit.sandbox.data / "etc/asterisk"
    files = {str(p.relative_to(etc)): p.read_bytes() for p in sorted(etc.rglob("*")) if p.is_file()}
    return licence.read_bytes() if licence.exists() else None, records, audit, files


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_pbx_change_on_a_full_disk(full_disk_unit: Unit) -> None:
    unit = full_disk_unit
    added = unit.agent.ctl("pbx", "add", "extension", "number=301", f"password={PASSWORD}")
    assert added.returncode == 0, added.stderr
    assert "301/" in unit.cli("pjsip show endpoints")
    before = _state(unit)
    with full(unit.sandbox.data):
        result = unit.agent.ctl("pbx", "add", "extension", "number=302", f"password={PASSWORD}")
        line = _one_line(result)
        assert line.startswith(
            f"orpheusctl: disk full: could not write {unit.sandbox.data}/etc/asterisk/"
        ), line
        assert _state(unit) == before
    endpoints = unit.cli("pjsip show endpoints")
    assert "301/" in endpoints and "302" not in endpoints
    again = unit.agent.ctl("pbx", "add", "extension", "number=302", f"password={PASSWORD}")
    assert again.returncode == 0, again.stderr
    assert "302/" in unit.cli("pjsip show endpoints")


def test_licence_install_on_a_full_disk(full_disk_unit: Unit) -> None:
    unit = full_disk_unit
    document = unit.vendor.licence(unit.serial, "lite")
    path = unit.agent.workdir / "lite.json"
    path.write_text(json.dumps(document))
    before = _state(unit)
    with full(unit.sandbox.data):
        line = _one_line(unit.agent.ctl("license", "install", str(path)))
        assert line == (
            f"orpheusctl: disk full: could not write {unit.sandbox.data}/orpheus/license.json"
        )
        assert _state(unit) == before
        shown = unit.agent.ctl_json("license", "show", "--json")
        assert shown["tier"] == "mini"  # type: ignore[index]
    installed = unit.agent.ctl("license", "install", str(path))
    assert installed.returncode == 0, installed.stderr
