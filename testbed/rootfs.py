"""Runs programs of the built root filesystem (Asterisk, snmpd, keepalived, the agent) on the host.

The built tree under build/rootfs is never written: each sandbox mounts an overlay of it
with its own upper directory, a private /data (the data partition), tmpfs on /run and /tmp,
and the host's /proc, /sys and /dev. Commands run in it with chroot, optionally inside a
network namespace that a test created (`ip netns exec`), so several units can run side by
side, each in its own namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

ASTERISK_START_TIMEOUT_SECONDS = 60.0


class SandboxError(RuntimeError):
    pass


class RootfsSandbox:
    def __init__(self, rootfs: Path, workdir: Path, netns: str | None = None) -> None:
        self.rootfs = rootfs
        self.workdir = workdir
        self.netns = netns
        self.root = workdir / "merged"
        self.data = workdir / "data"
        self._mounts: list[Path] = []

    def __enter__(self) -> RootfsSandbox:
        self.mount()
        return self

    def __exit__(self, *_: object) -> None:
        self.unmount()

    def _mount(self, *args: str, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(target)], check=True)
        self._mounts.append(target)

    def mount(self) -> None:
        upper, work = self.workdir / "upper", self.workdir / "work"
        for directory in (upper, work, self.root, self.data):
            directory.mkdir(parents=True, exist_ok=True)
        options = f"lowerdir={self.rootfs},upperdir={upper},workdir={work}"
        self._mount("-t", "overlay", "overlay", "-o", options, target=self.root)
        self._mount("--rbind", "/dev", target=self.root / "dev")
        self._mount("-t", "proc", "proc", target=self.root / "proc")
        self._mount("-t", "sysfs", "sysfs", target=self.root / "sys")
        self._mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", target=self.root / "run")
        self._mount("-t", "tmpfs", "-o", "mode=1777", "tmpfs", target=self.root / "tmp")
        self._mount("--bind", str(self.data), target=self.root / "data")
        # What systemd-tmpfiles does at boot on the unit: the data partition's layout.
        self.run(["systemd-tmpfiles", "--create", "/etc/tmpfiles.d/orpheus.conf"])

    def bind(self, source: Path, inside: str) -> None:
        """source (a host directory) at /inside in the sandbox, until unmount."""
        self._mount("--bind", str(source), target=self.root / inside)

    def unmount(self) -> None:
        for target in reversed(self._mounts):
            subprocess.run(["umount", "-R", "-l", str(target)], check=False)
        self._mounts.clear()

    def command(self, argv: Sequence[str]) -> list[str]:
        inner = ["chroot", str(self.root), *argv]
        return ["ip", "netns", "exec", self.netns, *inner] if self.netns else inner

    def run(
        self, argv: Sequence[str], check: bool = True, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        return subprocess.run(
            self.command(argv), capture_output=True, text=True, env=env, check=check,
            timeout=timeout,
        )  # fmt: skip

    def popen(self, argv: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        with log.open("ab") as out:
            return subprocess.Popen(
                self.command(argv), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )  # fmt: skip


class SandboxAsterisk:
    """The image's Asterisk, in the foreground, with the unit's configuration on /data."""

    def __init__(self, sandbox: RootfsSandbox) -> None:
        self.sandbox = sandbox
        self.log = sandbox.workdir / "asterisk.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = ASTERISK_START_TIMEOUT_SECONDS) -> None:
        for path in ("run/asterisk", "var/run/asterisk"):
            target = self.sandbox.root / path
            target.mkdir(parents=True, exist_ok=True)
            shutil.chown(target, "root", "root")
        self.process = self.sandbox.popen(["asterisk", "-f", "-g", "-n"], self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SandboxError(f"Asterisk exited at start; see {self.log}")
            # In a network namespace without an Ethernet interface, every `asterisk -rx`
            # first prints a warning line about the entity ID: look at each line.
            answer = self.cli("core show version", check=False).splitlines()
            if any(line.startswith("Asterisk ") for line in answer):
                self.cli("core waitfullybooted")
                return
            time.sleep(0.5)
        raise SandboxError(f"Asterisk did not answer within {timeout:.0f} s; see {self.log}")

    def cli(self, command: str, check: bool = True) -> str:
        result = self.sandbox.run(["asterisk", "-rx", command], check=False, timeout=30)
        if check and result.returncode != 0:
            raise SandboxError(f"asterisk -rx {command!r}: {result.stderr.strip()}")
        return result.stdout

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(subprocess.SubprocessError):
            self.cli("core stop now", check=False)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
