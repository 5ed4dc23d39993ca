"""Talking to the guest over SSH: commands, reboots, and the state an update must not touch."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from orpheus.asterisk.parsers import parse_channel_counts
from testbed.paths import LOG_DIR
from testbed.vm import StallWatch, Vm, ssh_command

GRUBENV = "/boot/efi/EFI/BOOT/grubenv"
SLOT_DEVICES = {"A": "/dev/disk/by-partlabel/rootfs-a", "B": "/dev/disk/by-partlabel/rootfs-b"}
BUNDLE_DISK = "/dev/disk/by-label/bundles"
BUNDLE_MOUNT = "/mnt"
# When each boot, reset and commit of the walk happened: where its time goes, in CI too.
TIMELINE = LOG_DIR / "update-walk.log"
# A boot-id probe is one tiny command; a guest still booting may accept the TCP connection
# (QEMU's port forward) and never send SSH's banner, so the probe gives up quickly.
PROBE_TIMEOUT_SECONDS = 15
# Bounds of the waits under TCG: a reboot through three failed boots of a slot, then a
# healthy one; the agent's commit (health checks, then RAUC's mark-good).
REBOOT_TIMEOUT_SECONDS = 1200.0
COMMIT_TIMEOUT_SECONDS = 600.0
# An install under TCG takes 1 to 4 minutes; well past that, the job is stuck.
JOB_TIMEOUT_SECONDS = 900.0
# Polls of a job and of the commit: each GET /api/v1/update costs the guest about 1 s.
JOB_POLL_SECONDS = 2.0
COMMIT_POLL_SECONDS = 5.0
# The restore of a fallback slot (a block copy of about 1 GiB, read back) under TCG, and the
# poll that watches it: every second, as an admin's page would, to see the API answer.
RESTORE_TIMEOUT_SECONDS = 900.0
RESTORE_POLL_SECONDS = 1.0
# A Local channel answered in the guest's own dialplan: up in a second, give it 30.
CALL_SETUP_SECONDS = 30.0
# What a refused update must not touch on /data: the configuration and RAUC's status
# (content), RAUC's slot indexes (16 MiB each: name, size and time).
DATA_STATE = (
    "find /data/etc /data/rauc -name '*.raucs' -o -path '/data/etc/*' -type f "
    "| sort | xargs sha256sum; find /data/rauc -printf '%p %s %T@\\n' | sort"
)


# Makes the guest the Slave of an HA pair whose Master has not synced it yet: the pairing as
# the join would leave it (pair.json), the Master at the gateway (QEMU's host, which answers
# neither VRRP nor the sync port). Until a first sync keepalived holds such a Slave in FAULT.
UNSYNCED_SLAVE = """
import json, pathlib, subprocess
from cryptography import x509
from cryptography.hazmat.primitives import hashes
ha = pathlib.Path("/data/orpheus/ha")
cert = x509.load_pem_x509_certificate((ha / "node.crt").read_bytes())
routes = subprocess.run(["ip", "-j", "route", "show", "default"], capture_output=True, check=True)
route = json.loads(routes.stdout)[0]
pairing = {
    "node_id": cert.fingerprint(hashes.SHA256()).hex(), "local_address": route["prefsrc"],
    "peer_address": route["gateway"], "peer_fingerprint": "ab" * 32, "vip": "10.0.2.100/24",
    "interface": route["dev"], "priority": 100, "preferred_role": "slave",
}
(ha / "pair.json").write_text(json.dumps(pairing))
"""
HA_ROLE_SECONDS = 120.0


@dataclass
class Guest:
    vm: Vm
    key: Path

    def note(self, event: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {event}"
        print(line, file=sys.stderr)
        TIMELINE.parent.mkdir(parents=True, exist_ok=True)
        with TIMELINE.open("a") as timeline:
            timeline.write(line + "\n")

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
        """One request to the guest's API (HTTPS) from the host, as admin."""
        return self.vm.api(method, path, self.vm.config.admin_password, body)

    def pair_as_unsynced_slave(self) -> dict[str, Any]:
        """Pairs the guest as a Slave not yet synced (UNSYNCED_SLAVE) and restarts its agent;
        returns GET /api/v1/ha once keepalived holds it in FAULT."""
        self.run("python3", "-c", UNSYNCED_SLAVE)
        self.run("systemctl", "restart", "orpheus-agent")
        deadline = time.monotonic() + HA_ROLE_SECONDS
        while True:
            try:
                code, ha = self.api("GET", "/api/v1/ha")
            except OSError as error:  # the agent is still starting (URLError is an OSError)
                code, ha = 0, str(error)
            if code == 200 and ha["role"] == "fault":
                return cast(dict[str, Any], ha)
            assert time.monotonic() < deadline, f"the paired guest never went to FAULT: {ha}"
            time.sleep(JOB_POLL_SECONDS)

    def asterisk(self, command: str) -> str:
        return self.out("asterisk", "-rx", command)

    def hold_call(self) -> None:
        """Puts a call up in the guest's own Asterisk: a Local channel, answered, that waits
        10 minutes; `core show channels count` then says 1 active call."""
        for step in ("hold,1,Answer", "hold,2,Wait,600"):
            self.asterisk(f"dialplan add extension {step} into orpheus-test-hold replace")
        self.asterisk("channel originate Local/hold@orpheus-test-hold application Wait 600")
        # The CLI's originate returns before Asterisk has set the channels up.
        deadline = time.monotonic() + CALL_SETUP_SECONDS
        while self.active_calls() != 1:
            dialplan = self.run("asterisk", "-rx", "dialplan show orpheus-test-hold", check=False)
            assert time.monotonic() < deadline, f"the held call never came up: {dialplan.stdout}"
            time.sleep(1)

    def active_calls(self) -> int:
        return parse_channel_counts(self.asterisk("core show channels count")).active_calls

    def boot_id(self) -> str:
        return self.out("cat", "/proc/sys/kernel/random/boot_id").strip()

    def booted(self) -> tuple[str, str] | None:
        """(boot id, slot) of the running boot, or None while the guest does not answer."""
        script = "cat /proc/sys/kernel/random/boot_id; cat /proc/cmdline"
        try:
            result = subprocess.run(
                ssh_command(self.vm, self.key, "sh", "-c", script),
                capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return None  # sshd accepted, then the guest went down or is still starting
        lines = result.stdout.split("\n", 1)
        if result.returncode != 0 or len(lines) < 2:
            return None
        slot = next(
            (w.split("=", 1)[1] for w in lines[1].split() if w.startswith("rauc.slot=")), ""
        )
        return lines[0].strip(), slot

    def reboot(self, *command: str) -> None:
        """Runs command (default: systemctl reboot) and waits for the next boot to be healthy."""
        self.reboot_into(None, *command)

    def start_reboot(self, *command: str) -> None:
        """Runs command (default: systemctl reboot) without waiting for the guest to return."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.run(*(command or ("systemctl", "reboot")), check=False)

    def reboot_into(self, slot: str | None, *command: str) -> list[str]:
        """Reboots and waits, through any boots in between, for one of slot (any slot if
        None) to be healthy; returns the slots booted on the way."""
        seen = {self.boot_id()}
        path: list[str] = []
        self.note(f"reboot ({' '.join(command) or 'systemctl reboot'}), waiting for slot {slot}")
        self.start_reboot(*command)
        deadline = time.monotonic() + REBOOT_TIMEOUT_SECONDS
        watch = StallWatch(self.vm.console_log)
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"no boot of slot {slot} answered; see {self.vm.console_log}")
            if not self.vm.revive():
                raise AssertionError(f"QEMU exited during a reboot; see {self.vm.console_log}")
            now = self.booted()
            if self.vm.reset_if_stalled(watch, answered=now is not None):
                self.note("guest hung (console silent, nothing answers): reset")
            if now is not None and now[0] not in seen:
                seen.add(now[0])
                path.append(now[1])
                self.note(f"slot {now[1]} answers")
                if slot is None or now[1] == slot:
                    break
            time.sleep(3)
        self.vm.wait_healthy()
        self.note(f"slot {path[-1]} healthy")
        return path

    def job(self) -> dict[str, Any]:
        """The running (or last) install job of this boot, from the jobs API: it reads the
        job alone, where GET /api/v1/update also asks RAUC (about 1 s of the guest's CPU
        under TCG, taken from the install a poll watches)."""
        status, jobs = self.api("GET", "/api/v1/jobs")
        assert status == 200, jobs
        installs = [job for job in jobs if job["kind"] == "install"]
        return installs[-1] if installs else {}

    def wait_job(
        self, reached: Callable[[dict[str, Any]], bool], timeout: float = JOB_TIMEOUT_SECONDS
    ) -> dict[str, Any]:
        """Polls the running update job until reached(job); fails if it ends or times out."""
        deadline = time.monotonic() + timeout
        while not reached(job := self.job()):
            assert job.get("state") == "running", f"the job ended first: {job}"
            assert time.monotonic() < deadline, f"gave up waiting on the job: {job}"
            time.sleep(JOB_POLL_SECONDS)
        return job

    def power_cycle(self) -> float:
        """Pulls the plug, powers on again; returns seconds until the unit was healthy."""
        self.note("power cut")
        self.vm.power_cut()
        self.vm.power_on()
        healthy = self.vm.wait_healthy()
        self.note(f"healthy {healthy:.0f} s after power-on")
        return healthy

    def mount_bundles(self) -> str:
        """Mounts the read-only bundle disk (once); returns its mount point."""
        mounted = self.run("mountpoint", "-q", BUNDLE_MOUNT, check=False).returncode == 0
        if not mounted:
            self.run("mount", "-o", "ro", BUNDLE_DISK, BUNDLE_MOUNT)
        return BUNDLE_MOUNT

    def update_status(self) -> dict[str, object]:
        """GET /api/v1/update (what `orpheusctl update status --json` prints), over HTTP:
        an SSH session and a Python start would cost the guest some 4 s per poll."""
        code, status = self.api("GET", "/api/v1/update")
        assert code == 200, status
        return cast(dict[str, object], status)

    def untouched_state(self) -> dict[str, str]:
        """RAUC's view of both slots, the boot order, the start of both slots (superblock,
        group descriptors, the first files) and the data: what a refusal must keep."""
        slots = " ".join(SLOT_DEVICES.values())
        return {
            "grubenv": self.out("grub-editenv", GRUBENV, "list"),
            "rauc": self.out("rauc", "status", "--output-format=json"),
            "slots": self.out("sh", "-c", f"for s in {slots}; do head -c 4M $s | sha256sum; done"),
            "data": self.out("sh", "-c", DATA_STATE),
        }

    def wait_fallback(self) -> tuple[dict[str, object], list[float]]:
        """Waits until the agent has restored the other slot (good again, no update job
        running), polling the API every second; returns the status and each poll's seconds."""
        deadline = time.monotonic() + RESTORE_TIMEOUT_SECONDS
        latencies: list[float] = []
        while True:
            started = time.monotonic()
            status = self.update_status()
            latencies.append(time.monotonic() - started)
            slots = cast(list[dict[str, Any]], status["slots"])
            other = next(s for s in slots if not s["booted"])
            job = cast(dict[str, Any], status["job"] or {})
            if other["boot_status"] == "good" and job.get("state") != "running":
                self.note(f"slot {other['bootname']} good again: {status.get('fallback')}")
                return status, latencies
            if time.monotonic() > deadline:
                raise AssertionError(f"the fallback was not restored: {status}")
            time.sleep(RESTORE_POLL_SECONDS)

    def wait_committed(self) -> dict[str, object]:
        """Waits until the booted slot is marked good by the agent; returns the status."""
        deadline = time.monotonic() + COMMIT_TIMEOUT_SECONDS
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"booted slot not committed: {self.update_status()}")
            status = self.update_status()
            slots = cast(list[dict[str, Any]], status["slots"])
            booted = [s for s in slots if s["booted"]]
            if booted and booted[0]["boot_status"] == "good" and not status["pending"]:
                self.note(f"slot {booted[0]['bootname']} committed")
                return status
            time.sleep(COMMIT_POLL_SECONDS)
