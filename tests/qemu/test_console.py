"""The console menu on the booted image (issue 18, point 8): agetty runs orpheus-console in
place of login(1) on the serial port and the screen, and the menu, run as agetty runs it (as
root, the name typed given), checks the admin password with the unit's agent and shows the
unit's serial, HTTPS URL and certificate fingerprint. The input is piped over SSH (the QEMU
serial port here is a log file, not a terminal to type into); a wrong password is refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testbed.vm import Vm, ssh_command
from tests.qemu.test_boot import PASSWORD, on_guest

pytestmark = pytest.mark.qemu


def _console(vm: Vm, key: Path, typed: str) -> subprocess.CompletedProcess[str]:
    """orpheus-console for `admin`, fed the lines typed."""
    return subprocess.run(ssh_command(vm, key, "/usr/bin/orpheus-console", "admin"),
                          input=typed, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def test_agetty_runs_the_console_menu_instead_of_a_login(vm: Vm, ssh_key: Path) -> None:
    for unit in ("serial-getty@ttyS0.service", "getty@tty1.service"):
        shown = on_guest(vm, ssh_key, "systemctl", "show", unit, "--property=ExecStart")
        assert "--login-program /usr/bin/orpheus-console" in shown, (unit, shown)
    assert on_guest(vm, ssh_key, "systemctl", "is-active", "serial-getty@ttyS0").strip() == "active"


def test_the_menu_shows_the_units_identity_after_the_admin_password(vm: Vm, ssh_key: Path) -> None:
    status = json.loads(on_guest(vm, ssh_key, "orpheusctl", "status", "--json"))
    menu = _console(vm, ssh_key, f"{PASSWORD}\n1\n5\n")
    assert menu.returncode == 0, menu.stderr
    assert status["tls_fingerprint"] in menu.stdout, menu.stdout
    assert "https://" in menu.stdout
    assert menu.stdout.rstrip().endswith("Logged out."), menu.stdout


def test_a_wrong_password_shows_no_menu(vm: Vm, ssh_key: Path) -> None:
    menu = _console(vm, ssh_key, "wrong-password-1\nwrong-password-2\nwrong-password-3\n")
    assert menu.returncode == 1, menu.stdout
    assert menu.stdout.count("Login incorrect.") == 3 and "Serial:" not in menu.stdout
