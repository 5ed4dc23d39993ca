"""The built image booted in QEMU (TCG, q35, OVMF, 2 vCPUs, 2 GiB): one guest for all tests."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from builder.boards import load_board, size_bytes
from testbed.vm import Vm, ssh_command

pytestmark = pytest.mark.qemu

PASSWORD = "orpheus-test-pw"


def on_guest(vm: Vm, key: Path, *command: str, check: bool = True) -> str:
    result = subprocess.run(
        ssh_command(vm, key, *command), capture_output=True, text=True, timeout=120, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def test_health_answers_ok_without_authentication(vm: Vm) -> None:
    assert vm.http("/api/v1/health") == (200, {"ok": True})


def test_status_needs_the_admin_password(vm: Vm) -> None:
    assert vm.api("GET", "/api/v1/status", None)[0] == 401
    assert vm.api("GET", "/api/v1/status", "wrong-password")[0] == 401


def test_status_describes_the_running_unit(vm: Vm, board: str, manifest: dict[str, object]) -> None:
    code, status = vm.api("GET", "/api/v1/status", PASSWORD)
    assert code == 200
    assert status["version"] == manifest["version"]
    assert status["build_date"] == manifest["build_date"]
    assert status["board"] == board
    assert status["booted_slot"] == "A"
    assert status["asterisk"]["running"] is True  # type: ignore[index]
    assert (
        str(manifest["asterisk_version"])
        .split(":")[-1]
        .startswith(
            status["asterisk"]["version"]  # type: ignore[index]
        )
    )
    assert status["memory"]["total_bytes"] > 1024**3  # type: ignore[index]
    assert status["storage"]["data"]["free_bytes"] > 0  # type: ignore[index]


def test_slot_a_booted_by_partition_label(vm: Vm, ssh_key: Path) -> None:
    cmdline = on_guest(vm, ssh_key, "cat", "/proc/cmdline").split()
    assert "rauc.slot=A" in cmdline and "root=PARTLABEL=rootfs-a" in cmdline
    rauc = json.loads(on_guest(vm, ssh_key, "rauc", "status", "--output-format=json"))
    assert rauc["booted"] == "A"


def test_root_is_read_only_and_data_is_noatime(vm: Vm, ssh_key: Path) -> None:
    root_options = on_guest(vm, ssh_key, "findmnt", "-no", "OPTIONS", "/").strip().split(",")
    assert "ro" in root_options and "noatime" in root_options
    data_options = on_guest(vm, ssh_key, "findmnt", "-no", "OPTIONS", "/data").strip().split(",")
    assert "rw" in data_options and "noatime" in data_options
    result = subprocess.run(
        ssh_command(vm, ssh_key, "touch", "/usr/orpheus-write-test"), capture_output=True, text=True
    )
    assert result.returncode != 0 and "Read-only file system" in result.stderr


def test_data_partition_grew_to_the_disk(vm: Vm, ssh_key: Path, board: str) -> None:
    spec = load_board(board)
    disk = int(on_guest(vm, ssh_key, "blockdev", "--getsize64", "/dev/vda"))
    flashed = sum(size_bytes(s) for s in (spec.esp_size, spec.slot_size, spec.slot_size))
    expected = disk - flashed - 2 * 1024**2  # GPT and alignment at both ends
    part = int(on_guest(vm, ssh_key, "blockdev", "--getsize64", "/dev/disk/by-partlabel/data"))
    assert part >= expected
    fs_bytes = int(on_guest(vm, ssh_key, "df", "--output=size", "-B1", "/data").split()[-1])
    assert fs_bytes > 0.9 * expected, "the filesystem did not follow the partition"


def test_asterisk_runs_from_the_data_partition(vm: Vm, ssh_key: Path) -> None:
    version = on_guest(vm, ssh_key, "asterisk", "-rx", "core show version")
    assert version.startswith("Asterisk 22.")
    assert on_guest(vm, ssh_key, "readlink", "/etc/asterisk").strip() == "/data/etc/asterisk"
    transports = on_guest(vm, ssh_key, "asterisk", "-rx", "pjsip show transports")
    assert "transport-udp" in transports and "0.0.0.0:5060" in transports
    assert ":5060" in on_guest(vm, ssh_key, "ss", "-Hlun", "sport = :5060")


def test_identity_is_made_at_first_boot_on_the_data_partition(vm: Vm, ssh_key: Path) -> None:
    machine_id = on_guest(vm, ssh_key, "cat", "/etc/machine-id").strip()
    assert len(machine_id) == 32
    assert on_guest(vm, ssh_key, "cat", "/data/etc/machine-id").strip() == machine_id
    keys = on_guest(vm, ssh_key, "ls", "/data/etc/ssh").split()
    assert "ssh_host_ed25519_key" in keys


def test_journal_stays_in_memory(vm: Vm, ssh_key: Path) -> None:
    on_guest(vm, ssh_key, "test", "-d", "/run/log/journal")
    on_guest(vm, ssh_key, "test", "!", "-e", "/var/log/journal")
    journal = "/run/log/journal/$(cat /etc/machine-id)/system.journal"
    on_guest(vm, ssh_key, "sh", "-c", f"test -s {journal}")


def test_agent_runs_under_systemd_with_watchdog(vm: Vm, ssh_key: Path) -> None:
    props = on_guest(
        vm, ssh_key, "systemctl", "show", "orpheus-agent", "-p", "ActiveState,Type,WatchdogUSec"
    )
    assert "ActiveState=active" in props and "Type=notify" in props
    assert "WatchdogUSec=0" not in props


def test_orpheusctl_status_over_ssh(vm: Vm, ssh_key: Path, manifest: dict[str, object]) -> None:
    status = json.loads(on_guest(vm, ssh_key, "orpheusctl", "status", "--json"))
    assert status["version"] == manifest["version"] and status["booted_slot"] == "A"
    text = on_guest(vm, ssh_key, "orpheusctl", "status")
    assert "Booted slot" in text and "running, version 22." in text


def test_booted_slot_is_committed_after_health(vm: Vm, ssh_key: Path) -> None:
    values: dict[str, str] = {}
    for _ in range(30):  # the agent commits within a few seconds of becoming healthy
        env = on_guest(vm, ssh_key, "grub-editenv", "/boot/efi/EFI/BOOT/grubenv", "list")
        values = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
        if values.get("A_TRY") == "0":
            break
        time.sleep(2)
    assert values["ORDER"].split()[0] == "A"
    assert values["A_OK"] == "1" and values["A_TRY"] == "0"


def test_grub_and_linux_speak_on_the_serial_console(vm: Vm) -> None:
    console = vm.console_text()
    assert "Orpheus: booting slot A" in console  # GRUB's A/B script
    assert "Kernel command line:" in console and "console=ttyS0,115200" in console
    # ttyS0's getty runs the factory console first: on this unsealed guest the log-in prompt
    # comes once its window (60 s from the getty's start) passed with no station speaking.
    for _ in range(90):
        if "orpheus login:" in vm.console_text():
            break
        time.sleep(2)
    assert "orpheus login:" in vm.console_text()  # a getty on ttyS0


def test_snmp_answers_the_unit_s_firmware_and_slots(vm: Vm, ssh_key: Path) -> None:
    """The image's snmpd and the agent's AgentX subagent, walked from the host (user networking
    makes the host's packets come from 10.0.2.2)."""
    on_guest(vm, ssh_key, "orpheusctl", "snmp", "set", "--community", "qemutest@10.0.2.2/32")
    status = json.loads(on_guest(vm, ssh_key, "orpheusctl", "status", "--json"))
    update = json.loads(on_guest(vm, ssh_key, "orpheusctl", "update", "status", "--json"))
    other = next(slot for slot in update["slots"] if not slot["booted"])
    firmware = "1.3.6.1.3.7361.1.1"
    values: dict[str, str] = {}
    for _ in range(30):  # snmpd restarts with the new community; bounded wait
        walked = subprocess.run(
            ["snmpwalk", "-v2c", "-c", "qemutest", "-On", "-Oqv", "-t", "3", "-r", "1",
             f"127.0.0.1:{vm.snmp_port}", firmware],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        lines = [line.strip().strip('"') for line in walked.stdout.splitlines()]
        if walked.returncode == 0 and len(lines) >= 5:
            names = ("version", "build_date", "slot", "other", "other_state")
            values = dict(zip(names, lines[: len(names)], strict=True))
            break
        time.sleep(2)
    assert values, "snmpd did not answer the Orpheus subtree"
    assert values["version"] == status["version"] and values["slot"] == "A"
    assert values["other"] == other["version"]
    wrong = subprocess.run(
        ["snmpget", "-v2c", "-c", "wrong", "-t", "2", "-r", "0",
         f"127.0.0.1:{vm.snmp_port}", "1.3.6.1.2.1.1.1.0"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert wrong.returncode != 0 and "Timeout" in wrong.stderr
