"""The system report from the real agent and Asterisk: every part there, no known secret."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from testbed.pbx_unit import Unit

SIP_SECRET = "Report-Sip-Secret-8817x"
EXPECTED = [
    "firmware/status.json",
    "asterisk/version.txt",
    "asterisk/endpoints.txt",
    "storage/df.txt",
    "network/addresses.json",
    "MISSING.txt",
]


def _unpack(packed: Path, into: Path) -> dict[str, bytes]:
    tar = into / "report.tar"
    subprocess.run(["zstd", "-q", "-d", str(packed), "-o", str(tar)], check=True)
    with tarfile.open(tar) as archive:
        files = {}
        for member in archive.getmembers():
            extracted = archive.extractfile(member)
            if extracted is not None:
                files[member.name.removeprefix("report/")] = extracted.read()
    return files


def test_the_cli_report_has_every_part_and_no_known_secret(lite_unit: Unit, tmp_path: Path) -> None:
    added = lite_unit.agent.ctl("pbx", "add", "extension", "number=291", f"password={SIP_SECRET}")
    assert added.returncode == 0, added.stderr
    output = tmp_path / "report.tar.zst"
    result = lite_unit.agent.ctl("report", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("*.part"))
    files = _unpack(output, tmp_path)
    for name in EXPECTED:
        assert name in files, sorted(files)
    assert b"Asterisk" in files["asterisk/version.txt"]
    assert b"rauc" in files["MISSING.txt"]  # no RAUC on the host: listed, not fatal
    assert any(name.startswith("config/") for name in files)
    for name, data in files.items():
        assert SIP_SECRET.encode() not in data, name
