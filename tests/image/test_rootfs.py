"""The one root filesystem every board runs, checked as built (before any boot)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.rootfs


def test_no_machine_identity_is_baked_in(rootfs: Path) -> None:
    assert (rootfs / "etc/machine-id").read_text() == ""
    assert not list((rootfs / "etc/ssh").glob("ssh_host_*"))


def test_run_time_state_points_to_the_data_partition(rootfs: Path) -> None:
    assert (rootfs / "etc/asterisk").readlink() == Path("/data/etc/asterisk")
    assert (rootfs / "var/log").readlink() == Path("/data/log")
    assert (rootfs / "usr/share/orpheus/factory/asterisk/extensions.conf").is_file()


def test_agent_is_installed_and_enabled(rootfs: Path) -> None:
    package = rootfs / "usr/lib/python3/dist-packages/orpheus"
    assert (package / "bootstrap.py").is_file()
    assert list((package / "__pycache__").glob("*.pyc")), "agent not byte-compiled"
    wants = rootfs / "etc/systemd/system/multi-user.target.wants/orpheus-agent.service"
    assert wants.is_symlink()


def test_only_asterisk_and_its_needs_come_from_unstable(rootfs: Path) -> None:
    prefs = (rootfs / "etc/apt/preferences.d/orpheus-pins").read_text()
    assert "Pin-Priority: 100" in prefs and "Pin-Priority: 990" in prefs
    pinned = next(line for line in prefs.splitlines() if line.startswith("Package: a"))
    assert "asterisk" in pinned.split()


def test_release_and_rauc_keyring(rootfs: Path) -> None:
    release = json.loads((rootfs / "usr/lib/orpheus/release.json").read_text())
    assert release["compatible"] == "orpheus-x86_64"
    assert "-----BEGIN CERTIFICATE-----" in (rootfs / "etc/rauc/keyring.pem").read_text()
    assert not list(rootfs.rglob("*.key.pem")), "a private key reached the image"


def test_journal_is_volatile(rootfs: Path) -> None:
    conf = (rootfs / "etc/systemd/journald.conf.d/10-orpheus.conf").read_text()
    assert "Storage=volatile" in conf
