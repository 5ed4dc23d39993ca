"""Talking to the guest over SSH: commands, reboots, and the state an update must not touch."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.vm import Vm, ssh_command

SLOT_B = "/dev/disk/by-partlabel/rootfs-b"
TREE_HASH = "find . -type f | sort | xargs sha256sum"


@dataclass
class Guest:
    vm: Vm
    key: Path

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ssh_command(self.vm, self.key, *command),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{command} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def out(self, *command: str) -> str:
        return self.run(*command).stdout

    def api(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """One authenticated request to the guest's HTTP API from the host."""
        request = urllib.request.Request(
            self.vm.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = base64.b64encode(f"admin:{self.vm.config.admin_password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def boot_id(self) -> str:
        return self.out("cat", "/proc/sys/kernel/random/boot_id").strip()

    def reboot(self) -> None:
        """Reboots the guest (QEMU restarts it in place) and waits until it is healthy again."""
        before = self.boot_id()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.run("systemctl", "reboot", check=False)
        while True:
            if not self.vm.running():
                raise AssertionError(f"QEMU exited during a reboot; see {self.vm.console_log}")
            result = subprocess.run(
                ssh_command(self.vm, self.key, "cat", "/proc/sys/kernel/random/boot_id"),
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            if result.returncode == 0 and result.stdout.strip() not in ("", before):
                break
            time.sleep(3)
        self.vm.wait_healthy()

    def update_status(self) -> dict[str, object]:
        return json.loads(self.out("orpheusctl", "update", "status", "--json"))

    def untouched_state(self) -> dict[str, str]:
        """Both slots' content hashes, the boot order and the data: what a refusal keeps."""
        return {
            "grubenv": self.out("grub-editenv", "/boot/efi/EFI/BOOT/grubenv", "list"),
            "slot-b": self.out(
                "sh", "-c", "head -c 64M /dev/disk/by-partlabel/rootfs-b | sha256sum"
            ),
            "rauc": self.out("rauc", "status", "--output-format=json"),
            "config": self.out(
                "sh", "-c", "cd /data/etc && find . -type f | sort | xargs sha256sum"
            ),
        }

    def wait_committed(self) -> dict[str, object]:
        """Waits until the booted slot is marked good by the agent; returns the status."""
        while True:
            status = self.update_status()
            booted = [s for s in status["slots"] if s["booted"]]  # type: ignore[union-attr]
            if booted and booted[0]["boot_status"] == "good" and not status["pending"]:
                return status
            time.sleep(3)
