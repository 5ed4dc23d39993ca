"""The system report from the real agent and Asterisk: every part there, no known secret."""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.full_data import full, small_data_unit
from testbed.pbx_unit import HTTPS_PORT, Unit
from tests.api.test_login_limit import _admin_password as admin_password

SIP_SECRET = "Report-Sip-Secret-8817x"
COMMUNITY = "ReportComm9931"
V3_AUTH = "ReportAuthKey77"
V3_PRIV = "ReportPrivKey88"
EXPECTED = [
    "firmware/status.json",
    "asterisk/version.txt",
    "asterisk/endpoints.txt",
    "storage/df.txt",
    "network/addresses.json",
    "MISSING.txt",
]


def _unpack(packed: Path, into: Path) -> dict[str, bytes]:
    tar = into / f"{packed.name}.tar"
    subprocess.run(["zstd", "-q", "-d", str(packed), "-o", str(tar)], check=True)
    with tarfile.open(tar) as archive:
        files = {}
        for member in archive.getmembers():
            extracted = archive.extractfile(member)
            if extracted is not None:
                files[member.name.removeprefix("report/")] = extracted.read()
    return files


def _known_secrets(unit: Unit) -> list[str]:
    """Sets up an extension's SIP password, an SNMP community and v3 keys, an AMI account;
    with the admin's initial password, the secrets the report must not hold."""
    ctl = unit.agent.ctl
    added = ctl("pbx", "add", "extension", "number=291", f"password={SIP_SECRET}")
    assert added.returncode == 0, added.stderr
    snmp = ctl(
        "snmp", "set", "--community", f"{COMMUNITY}@127.0.0.1/32",
        "--v3-user", f"nms:{V3_AUTH}:{V3_PRIV}",
    )  # fmt: skip
    assert snmp.returncode == 0, snmp.stderr
    ami = ctl("ami", "user", "add", "reportcrm", "--permit", "127.0.0.1/32",
              "--read", "call", "--write", "user")  # fmt: skip
    assert ami.returncode == 0, ami.stderr
    ami_secret = ami.stdout.splitlines()[0].removeprefix("secret: ").strip()
    return [SIP_SECRET, COMMUNITY, V3_AUTH, V3_PRIV, ami_secret, admin_password(unit)]


def _check(files: dict[str, bytes], secrets: list[str]) -> None:
    for name in EXPECTED:
        assert name in files, sorted(files)
    assert b"Asterisk" in files["asterisk/version.txt"]
    assert b"rauc" in files["MISSING.txt"]  # no RAUC on the host: listed, not fatal
    assert any(name.startswith("config/") for name in files)
    assert not any(name.endswith((".pem", ".key")) or "key" in name for name in files)
    for name, data in files.items():
        for secret in secrets:
            assert secret.encode() not in data, (name, secret)


def test_the_report_over_cli_and_api_holds_no_known_secret(lite_unit: Unit, tmp_path: Path) -> None:
    secrets = _known_secrets(lite_unit)
    output = tmp_path / "cli.tar.zst"
    result = lite_unit.agent.ctl("report", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("*.part"))
    _check(_unpack(output, tmp_path), secrets)
    over_api = tmp_path / "api.tar.zst"
    subprocess.run(
        ["ip", "netns", "exec", lite_unit.agent.netns, "curl", "-sSf", "--insecure", "-u",
         f"admin:{admin_password(lite_unit)}", "-o", str(over_api),
         f"https://127.0.0.1:{HTTPS_PORT}/api/v1/report"],
        check=True,
    )  # fmt: skip
    _check(_unpack(over_api, tmp_path), secrets)


@pytest.fixture(scope="module")
def data_full_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("report-full-unit")
    netns = f"orpheus-report-full-{os.getpid()}"
    with small_data_unit(rootfs, workdir, netns, "lite", "ORP-RPT-0001") as unit:
        yield unit


def test_the_report_with_data_full_still_answers_and_leaves_nothing(
    data_full_unit: Unit, tmp_path: Path
) -> None:
    data = data_full_unit.sandbox.data
    output = tmp_path / "full.tar.zst"
    with full(data):
        before = _names(data)
        result = data_full_unit.agent.ctl("report", "-o", str(output))
        after = _names(data)
    assert after == before  # nothing written to (or left on) the data partition
    scratch = data_full_unit.agent.workdir / "run/report"
    assert not scratch.exists() or list(scratch.iterdir()) == []
    if result.returncode == 0:
        assert "asterisk/version.txt" in _unpack(output, tmp_path)
    else:  # failing is allowed: with one line, and no file
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not output.exists()
    assert not list(tmp_path.glob("*.part"))


def _names(data: Path) -> list[str]:
    """The files on /data, but Asterisk's astdb journal: SQLite makes and removes it on its own
    whenever Asterisk writes its database (the dialplan's counters), report or not."""
    return sorted(p.name for p in data.rglob("*") if not p.name.endswith("-journal"))
