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


def test_the_login_banner_shows_the_agents_https_lines(rootfs: Path) -> None:
    """agetty prints /etc/issue.d/*.issue after /etc/issue: the agent writes the target."""
    assert (rootfs / "etc/issue").is_file()
    assert (rootfs / "etc/issue.d/orpheus.issue").readlink() == Path("/run/orpheus/issue")


def test_the_console_menu_runs_after_the_login_prompt(rootfs: Path) -> None:
    """agetty (util-linux) runs /usr/bin/orpheus-console, as root, in place of login(1)."""
    assert (rootfs / "sbin/agetty").exists()
    launcher = rootfs / "usr/bin/orpheus-console"
    assert launcher.stat().st_mode & 0o111
    assert (rootfs / "usr/lib/python3/dist-packages/orpheus/console/main.py").is_file()
    for unit in ("getty@.service.d", "serial-getty@ttyS0.service.d"):
        drop_in = (rootfs / "etc/systemd/system" / unit / "orpheus.conf").read_text()
        assert "--login-program /usr/bin/orpheus-console" in drop_in
    link = rootfs / "etc/systemd/network/10-orpheus.network"
    assert link.readlink() == Path("/data/etc/systemd/network/10-orpheus.network")


def test_the_clock_settings_point_to_the_data_partition(rootfs: Path) -> None:
    # the agent's clock/ writes both on /data; the read-only root only links them
    assert (rootfs / "etc/localtime").readlink() == Path("/data/etc/localtime")
    drop_in = rootfs / "etc/systemd/timesyncd.conf.d/orpheus.conf"
    assert drop_in.readlink() == Path("/data/etc/systemd/timesyncd.conf.d/orpheus.conf")
    assert (rootfs / "usr/lib/systemd/systemd-timesyncd").is_file()
    assert (rootfs / "usr/share/zoneinfo/Europe/Rome").is_file()
    wants = rootfs / "etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service"
    assert wants.is_symlink()
    tmpfiles = (rootfs / "etc/tmpfiles.d/orpheus.conf").read_text()
    assert "L /data/etc/localtime" in tmpfiles and "/usr/share/zoneinfo/UTC" in tmpfiles


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


def test_manuals_and_translations_are_left_out_but_licences_kept(rootfs: Path) -> None:
    doc = rootfs / "usr/share/doc"
    assert (doc / "asterisk/copyright").is_file() and (doc / "libc6/copyright").is_file()
    kept = [p for p in doc.rglob("*") if p.is_file() and not p.is_symlink()]
    assert kept and not [p for p in kept if p.name != "copyright"]
    assert not list((rootfs / "usr/share/man").rglob("*.gz"))
    assert not list((rootfs / "usr/share/locale").rglob("*.mo"))


def test_asterisk_loads_only_what_the_appliance_uses(rootfs: Path) -> None:
    """The factory modules.conf is Orpheus's: autoload, minus families a unit never runs."""
    conf = (rootfs / "usr/share/orpheus/factory/asterisk/modules.conf").read_text()
    lines = conf.splitlines()
    noload = {line.split("=>")[1].strip() for line in lines if line.startswith("noload")}
    assert "autoload=yes" in conf and {"res_ari.so", "chan_iax2.so", "res_snmp.so"} <= noload
    modules = rootfs / "usr/lib/x86_64-linux-gnu/asterisk/modules"
    assert (modules / "chan_pjsip.so").is_file() and "chan_pjsip.so" not in noload
    missing = {name for name in noload if not (modules / name).is_file()}
    debian_obsolete = {"chan_alsa.so", "chan_oss.so", "cdr_sqlite.so"}
    assert missing <= debian_obsolete, f"noload names no installed module: {missing}"
