"""The image's wiring of the console, read from rootfs_overlay/ and pyproject.toml: the getty
drop-ins run orpheus-console after agetty's prompt, the launcher and the entry point name the
real main, and networkd's link points where the agent writes."""

from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path

import pytest

from orpheus.config import AgentConfig
from orpheus.console import main as console_main
from orpheus.network.settings import NETWORK_FILE_NAME

SOURCE = Path(__file__).resolve().parents[3]
OVERLAY = SOURCE / "rootfs_overlay"
SYSTEM = OVERLAY / "etc/systemd/system"
LAUNCHER = "/usr/bin/orpheus-console"


def _exec_start(path: Path) -> list[str]:
    """The ExecStart= lines of a drop-in, in order (systemd's format is ini-like enough)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line.split("=", 1)[1] for line in lines if line.startswith("ExecStart=")]


@pytest.mark.parametrize(
    "drop_in", ["getty@.service.d/orpheus.conf", "serial-getty@ttyS0.service.d/orpheus.conf"]
)
def test_agetty_keeps_its_prompt_and_runs_the_console_in_place_of_login(drop_in: str) -> None:
    reset, command = _exec_start(SYSTEM / drop_in)
    assert reset == ""  # replaces the packaged ExecStart instead of adding a second one
    argv = shlex.split(command.lstrip("-").replace("\\\\", "\\"))
    if "--then" in argv:  # ttyS0: the factory console first, which runs agetty after it
        argv = argv[argv.index("--then") + 1 :]
    assert argv[0] == "/sbin/agetty"
    assert argv[argv.index("--login-program") + 1] == LAUNCHER
    assert argv[argv.index("-o") + 1] == "-- \\u"  # the name typed reaches the menu
    assert "-n" not in argv and "--skip-login" not in argv  # `orpheus login:` stays shown
    assert "--autologin" not in argv and "-a" not in argv


def test_the_serial_console_runs_the_factory_console_first_then_agetty() -> None:
    _, command = _exec_start(SYSTEM / "serial-getty@ttyS0.service.d/orpheus.conf")
    argv = shlex.split(command.lstrip("-").replace("\\\\", "\\"))
    assert argv[:3] == ["/usr/sbin/orpheus-factory-console", "/dev/ttyS0", "--then"]
    assert argv[3] == "/sbin/agetty"
    assert not (OVERLAY / "usr/lib/systemd/system/orpheus-factory-console.service").exists()


def test_the_launcher_and_the_entry_point_name_the_console_main() -> None:
    launcher = OVERLAY / LAUNCHER.lstrip("/")
    assert os.access(launcher, os.X_OK)
    assert "from orpheus.console.main import main" in launcher.read_text()
    scripts = tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["orpheus-console"] == "orpheus.console.main:main"
    assert callable(console_main.main)


def test_networkd_reads_the_file_the_agent_writes() -> None:
    link = OVERLAY / "etc/systemd/network" / NETWORK_FILE_NAME
    written = AgentConfig().data_dir / "etc/systemd/network" / NETWORK_FILE_NAME
    assert link.is_symlink() and link.readlink() == written
    assert NETWORK_FILE_NAME < "20-wired.network"  # networkd takes the first match
    tmpfiles = (OVERLAY / "etc/tmpfiles.d/orpheus.conf").read_text().split()
    assert str(written.parent) in tmpfiles
