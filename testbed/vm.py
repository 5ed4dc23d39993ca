"""Boots a built Orpheus image under QEMU (TCG, q35, OVMF) on a throw-away overlay.

The built image is never written: QEMU runs on a qcow2 overlay whose backing file is the
image, larger than it so that the data partition has room to grow at first boot. The serial
console goes to a file; HTTP, HTTPS and SSH are forwarded to free ports on 127.0.0.1 (the API
is still asked over HTTP on 80; `https()` asks over HTTPS, pinned to a fingerprint). The admin
password and an SSH key reach the unit as systemd credentials through SMBIOS, the way a
hypervisor or the factory hands them over.

`python -m testbed.vm --board mini` (what `make run` calls) opens the image with the console on
the terminal.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testbed import pinned_https
from testbed.paths import BUILD_DIR

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
# A Mini: 2 cores, 2 GiB.
VCPUS = 2
MEMORY_MIB = 2048
# The overlay's virtual size: the "SSD" the data partition grows into at first boot.
DISK_SIZE = "8G"
BOOT_TIMEOUT_SECONDS = 600.0
SHUTDOWN_TIMEOUT_SECONDS = 120.0


PR_SET_PDEATHSIG = 1


# Seen under TCG after a warm reset, four times in about fifty reboots: the vCPUs spin and
# the console stays silent (in OVMF or GRUB before the kernel; once early in the kernel, at
# its x86/fpu set-up). A console silent this long while nothing answers is such a hang, and
# the harness presses reset, as a unit's watchdog would. No boot is silent that long
# (systemd prints every few seconds), and a firmware that runs but is unhealthy still
# answers SSH and HTTP.
STALL_SECONDS = 120.0


class StallWatch:
    """Tells when the guest has shown no sign of life (console output, an answer) for
    STALL_SECONDS."""

    def __init__(self, console: Path) -> None:
        self.console = console
        self._size = -1
        self._alive_at = time.monotonic()

    def stalled(self, answered: bool) -> bool:
        size = self.console.stat().st_size if self.console.exists() else 0
        now = time.monotonic()
        if answered or size != self._size:
            self._size, self._alive_at = size, now
            return False
        if now - self._alive_at < STALL_SECONDS:
            return False
        self._alive_at = now
        return True


class VmError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """Runs in the QEMU child: a killed test run must not leave guests running."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_image(board: str, build_dir: Path = BUILD_DIR) -> Path:
    images = sorted((build_dir / board).glob(f"orpheus-{board}-*.img"))
    if not images:
        raise VmError(f"no image under {build_dir / board}: run `make image BOARD={board}`")
    return images[-1]


@dataclass
class VmConfig:
    image: Path
    workdir: Path
    # None: none handed over (a unit fresh off the factory line, whose station sets it)
    admin_password: str | None = "orpheus-test-pw"
    disk_size: str = DISK_SIZE
    # The serial console as a TCP server on 127.0.0.1 (what a station's pyserial opens as
    # socket://127.0.0.1:PORT); everything the unit prints still reaches the console log.
    serial_port: int | None = None
    # What tells two units apart (QEMU gives every guest 52:54:00:12:34:56 and no disk serial)
    mac: str | None = None
    disk_serial: str | None = None
    ssh_public_key: str | None = None
    extra_args: list[str] = field(default_factory=list)
    # A guest reboot ends QEMU (-no-reboot) and the harness starts it again on the same disk
    # and firmware variables: a cold power cycle. Warm resets under TCG hung the guest four
    # times in about fifty reboots (see STALL_SECONDS); cold starts never did.
    cold_reboots: bool = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Port 80's 308 is an answer to check, not a hop to follow (it names the guest's 443,
    which is not the forwarded port)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_PLAIN = urllib.request.build_opener(_NoRedirect)


class Vm:
    """One QEMU guest. Start it, wait for health, use it, shut it down."""

    def __init__(self, config: VmConfig) -> None:
        self.config = config
        self.http_port = free_port()
        self.https_port = free_port()
        self.ssh_port = free_port()
        self.snmp_port = free_port(socket.SOCK_DGRAM)
        self.overlay = config.workdir / "disk.qcow2"
        self.vars = config.workdir / "OVMF_VARS.fd"
        self.console_log = config.workdir / "console.log"
        self.qmp_path = config.workdir / "qmp.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.healthy_after: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def prepare_disk(self) -> None:
        self.overlay.unlink(missing_ok=True)
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
             "-b", str(self.config.image.resolve()), str(self.overlay), self.config.disk_size],
            check=True,
        )  # fmt: skip
        shutil.copy(OVMF_VARS, self.vars)

    def _credentials(self) -> list[str]:
        args = []
        if self.config.admin_password is not None:
            args += [
                "-smbios",
                "type=11,value=io.systemd.credential:orpheus.admin-password="
                + self.config.admin_password,
            ]
        if self.config.ssh_public_key:
            encoded = base64.b64encode(self.config.ssh_public_key.encode()).decode()
            args += [
                "-smbios",
                f"type=11,value=io.systemd.credential.binary:orpheus.ssh-authorized-keys={encoded}",
            ]
        return args

    def command(self, console: str) -> list[str]:
        forwards = f"hostfwd=tcp:127.0.0.1:{self.http_port}-:80"
        forwards += f",hostfwd=tcp:127.0.0.1:{self.https_port}-:443"
        forwards += f",hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22"
        forwards += f",hostfwd=udp:127.0.0.1:{self.snmp_port}-:161"
        mac = f",mac={self.config.mac}" if self.config.mac else ""
        disk = ["-drive", f"if=virtio,format=qcow2,file={self.overlay},discard=unmap"]
        if self.config.disk_serial:  # a serial is the device's, not the drive's (QEMU >= 7)
            disk = [
                "-drive", f"if=none,id=disk0,format=qcow2,file={self.overlay},discard=unmap",
                "-device", f"virtio-blk-pci,drive=disk0,serial={self.config.disk_serial}",
            ]  # fmt: skip
        return [
            "qemu-system-x86_64",
            "-accel", "tcg", "-machine", "q35", "-cpu", "max",
            "-smp", str(VCPUS), "-m", str(MEMORY_MIB),
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,unit=1,file={self.vars}",
            *disk,
            "-nic", f"user,model=virtio-net-pci,{forwards}{mac}",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-display", "none", "-vga", "none",
            "-serial", console,
            *self._credentials(),
            *(["-no-reboot"] if self.config.cold_reboots else []),
            *self.config.extra_args,
        ]  # fmt: skip

    def start(self) -> None:
        """A new guest: a fresh overlay over the image, a new console log."""
        self.prepare_disk()
        self.console_log.unlink(missing_ok=True)
        self.power_on()

    def power_on(self) -> None:
        """Starts QEMU on the guest's disk as it is; the console log is appended to."""
        if self.config.serial_port is None:
            chardev = f"file,id=console,path={self.console_log},append=on"
        else:
            chardev = (
                f"socket,id=console,host=127.0.0.1,port={self.config.serial_port},"
                f"server=on,wait=off,logfile={self.console_log},logappend=on"
            )
        argv = [*self.command("chardev:console"), "-chardev", chardev]
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def reset(self) -> None:
        """The reset button (what a hardware watchdog does to a hung unit)."""
        self._qmp("system_reset")

    def reset_if_stalled(self, watch: StallWatch, answered: bool) -> bool:
        """Presses reset if the guest has shown no sign of life for STALL_SECONDS."""
        if not watch.stalled(answered):
            return False
        print(f"guest silent for {STALL_SECONDS:.0f} s, nothing answers: reset", file=sys.stderr)
        self.reset()
        return True

    def power_cut(self) -> None:
        """Pulls the plug: QEMU dies at once, whatever the guest had not written is lost."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def revive(self) -> bool:
        """True while the guest runs. With cold_reboots, a QEMU that ended because the guest
        rebooted (exit status 0) is started again first; False for any other end."""
        if self.running():
            return True
        if not (self.config.cold_reboots and self.process and self.process.returncode == 0):
            return False
        self.power_on()
        return True

    def http(
        self, path: str, password: str | None = None, method: str = "GET", timeout: float = 10.0
    ) -> tuple[int, dict[str, object]]:
        """One request to the guest's plain port 80 (its health probe; a 308 to HTTPS for
        anything else: redirects are not followed); returns the status and the JSON answer."""
        request = urllib.request.Request(self.base_url + path, method=method)
        if password is not None:
            token = base64.b64encode(f"admin:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with _PLAIN.open(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def api(
        self, method: str, path: str, password: str | None, body: object = None,
        timeout: float = 60.0,
    ) -> tuple[int, Any]:  # fmt: skip
        """One request to the guest's API, on HTTPS (any certificate: the tests that check
        the unit's own pin it, with https); the status and the JSON answer."""
        fetched = self.https(path, None, password, method, timeout, body)
        return fetched.status, fetched.body

    def https(
        self,
        path: str,
        fingerprint: str | None,
        password: str | None = None,
        method: str = "GET",
        timeout: float = 10.0,
        body: object = None,
    ) -> pinned_https.Fetched:
        """One request over HTTPS (the guest's 443), refused before anything is sent unless
        the certificate served has this SHA-256 fingerprint (None: any, reported)."""
        headers = {}
        if password is not None:
            token = base64.b64encode(f"admin:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return pinned_https.fetch(
            "127.0.0.1", self.https_port, path, fingerprint=fingerprint, method=method,
            body=body, headers=headers, timeout=timeout,
        )  # fmt: skip

    def wait_healthy(self, timeout: float = BOOT_TIMEOUT_SECONDS) -> float:
        """Waits for GET /api/v1/health to answer ok; returns seconds since QEMU started."""
        deadline = time.monotonic() + timeout
        watch = StallWatch(self.console_log)
        while time.monotonic() < deadline:
            if not self.revive():
                raise VmError(f"QEMU exited before the unit was healthy; see {self.console_log}")
            answered = False
            with contextlib.suppress(OSError, ValueError):
                status, body = self.http("/api/v1/health", timeout=5.0)
                answered = True
                if status == 200 and body == {"ok": True}:
                    self.healthy_after = time.monotonic() - self.started_at
                    return self.healthy_after
            self.reset_if_stalled(watch, answered)
            time.sleep(2.0)
        raise VmError(f"unit not healthy after {timeout:.0f} s; see {self.console_log}")

    def console_text(self) -> str:
        return self.console_log.read_text(errors="replace") if self.console_log.exists() else ""

    def _qmp(self, *commands: str) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10.0)
            sock.connect(str(self.qmp_path))
            reader = sock.makefile("rb")
            reader.readline()  # greeting
            for command in ("qmp_capabilities", *commands):
                sock.sendall(json.dumps({"execute": command}).encode() + b"\n")
                reader.readline()

    def qmp(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """One QMP command with arguments; its answer (events before it are skipped)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10.0)
            sock.connect(str(self.qmp_path))
            reader = sock.makefile("rb")
            reader.readline()  # greeting
            sock.sendall(json.dumps({"execute": "qmp_capabilities"}).encode() + b"\n")
            reader.readline()
            sock.sendall(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
            while True:
                answer: dict[str, Any] = json.loads(reader.readline())
                if "event" not in answer:
                    return answer

    def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT_SECONDS) -> bool:
        """ACPI power button, as a person would press it; returns True if the guest powered off."""
        if not self.running():
            return True
        assert self.process is not None
        with contextlib.suppress(OSError):
            self._qmp("system_powerdown")
        try:
            self.process.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False


# One SSH connection per guest, shared by its commands: under TCG a key exchange costs the
# guest about 2 s of CPU, which every probe and poll took from the unit under test. The
# master ends with the guest's TCP connection (reboot, power cut) and is made again.
SSH_CONTROL_DIR = Path("/tmp/orpheus-ssh")
SSH_PERSIST_SECONDS = 300


def ssh_command(vm: Vm, key: Path, *remote: str) -> list[str]:
    """ssh argv running `remote` on the guest; the arguments are quoted for the remote shell."""
    SSH_CONTROL_DIR.mkdir(mode=0o700, exist_ok=True)
    control = SSH_CONTROL_DIR / str(vm.ssh_port)
    return [
        "ssh", "-i", str(key), "-p", str(vm.ssh_port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR",
        "-o", "ControlMaster=auto", "-o", f"ControlPath={control}",
        "-o", f"ControlPersist={SSH_PERSIST_SECONDS}",
        "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
        "root@127.0.0.1", shlex.join(remote),
    ]  # fmt: skip


def make_ssh_key(directory: Path) -> Path:
    key = directory / "id_ed25519"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.vm", description=__doc__)
    parser.add_argument("--board", default=os.environ.get("BOARD", "mini"))
    parser.add_argument("--image", type=Path, help="image to boot (default: the board's newest)")
    parser.add_argument("--password", default="orpheus-admin", help="admin password at first boot")
    args = parser.parse_args(argv)
    try:
        image = args.image or find_image(args.board)
    except VmError as error:
        print(f"run: {error}", file=sys.stderr)
        return 1
    public_key = developer_public_key(Path.home() / ".ssh")
    with tempfile.TemporaryDirectory(prefix="orpheus-vm-") as workdir:
        config = VmConfig(
            image=image, workdir=Path(workdir), admin_password=args.password,
            ssh_public_key=public_key.read_text() if public_key else None,
        )  # fmt: skip
        vm = Vm(config)
        vm.prepare_disk()
        print(how_to_reach(vm, image, args.password, public_key), file=sys.stderr)
        return subprocess.run(vm.command("mon:stdio"), check=False).returncode


def developer_public_key(ssh_dir: Path) -> Path | None:
    """The developer's SSH public key, passed to the guest as root's authorized key."""
    for name in ("id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"):
        if (ssh_dir / name).is_file():
            return ssh_dir / name
    return None


def how_to_reach(vm: Vm, image: Path, password: str, public_key: Path | None) -> str:
    ssh = (
        f"SSH: ssh -p {vm.ssh_port} root@127.0.0.1 (key {public_key})"
        if public_key
        else "SSH: none (no ~/.ssh/id_*.pub to authorize; the console is here)"
    )
    return "\n".join((
        f"Booting {image.name} (an overlay: the image stays as built).",
        f"Page and API: https://127.0.0.1:{vm.https_port}/ (self-signed: compare the "
        "fingerprint the console's banner shows), user admin, password "
        f"{password!r} (to be changed at the first log-in)",
        f"Health: {vm.base_url}/api/v1/health (port 80 redirects everything else to HTTPS)",
        ssh,
        "Quit: Ctrl-A X.",
    ))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
