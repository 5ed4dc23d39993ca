"""ORPHEUS-MIB passes smilint and agrees, object by object, with the agent's table."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from orpheus.snmp import mib

SOURCE_DIR = Path(__file__).resolve().parents[2]
MIB_FILE = SOURCE_DIR / "rootfs_overlay/usr/share/snmp/mibs/ORPHEUS-MIB.txt"
BASE_MIBS = Path(__file__).resolve().parent / "mibs"


def _smi(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMIPATH": str(BASE_MIBS)}
    return subprocess.run(
        [tool, *args, str(MIB_FILE)], capture_output=True, text=True, env=env, check=False
    )


def test_smilint_level_3_reports_nothing() -> None:
    # smilint exits 0 even on errors (and on missing imports): its output is the verdict.
    result = _smi("smilint", "-l", "3", "-s")
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""


def test_smilint_sees_a_broken_copy(tmp_path: Path) -> None:
    """The check above can fail: the same lint on a damaged copy reports errors."""
    broken = tmp_path / "ORPHEUS-MIB.txt"
    broken.write_text(MIB_FILE.read_text().replace("Gauge32, Counter64,", "Counter64,"))
    env = {**os.environ, "SMIPATH": str(BASE_MIBS)}
    result = subprocess.run(
        ["smilint", "-l", "3", "-s", str(broken)], capture_output=True, text=True, env=env,
        check=False,
    )  # fmt: skip
    assert "Gauge32" in result.stdout + result.stderr


def _identifiers() -> dict[str, tuple[str, tuple[int, ...]]]:
    result = _smi("smidump", "-f", "identifiers")
    assert result.returncode == 0, result.stderr
    found = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "ORPHEUS-MIB":
            found[parts[1]] = (parts[2], tuple(int(n) for n in parts[3].split(".")))
    return found


def test_mib_text_and_agent_table_agree() -> None:
    identifiers = _identifiers()
    in_text = {
        name: oid for name, (kind, oid) in identifiers.items() if kind in ("scalar", "column")
    }
    accessible = {name: oid for name, oid in in_text.items() if not name.endswith("Index")}
    assert accessible == mib.object_names()
    notifications = {n: o for n, (k, o) in identifiers.items() if k == "notification"}
    assert notifications == {name: mib.notification_oid(name) for name in mib.NOTIFICATION_TYPES}
    assert identifiers["orpheusMIB"][1] == mib.ORPHEUS_ARC
