"""A unit on the host: the image's Asterisk in a rootfs sandbox, the agent from the source
tree, both in a network namespace of their own, and sipp phones and carriers around them.

Each network namespace gets an interface named eth0 (Asterisk seeds its entity ID from it).
Phones and extensions sit on 127.0.0.1, the carrier of the test trunk on 127.0.0.2.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import pwd
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orpheus.licensing.document import sign
from testbed.paths import SOURCE_DIR
from testbed.polling import UNIT_TIMEOUT_SECONDS, wait_for
from testbed.rootfs import RootfsSandbox, SandboxAsterisk
from testbed.sipp import Sipp

CARRIER_ADDRESS = "127.0.0.2"
PRODUCT_UUID = "4c4c4544-0042-3510-8051-b4c04f4b4e31"
# The agent's TCP ports inside the unit's namespace (80 and 443 on a unit).
HTTP_PORT = 8080
HTTPS_PORT = 8443
# The password of every extension the tests and benchmarks add.
PASSWORD = "s3cret-Pass"


@contextlib.contextmanager
def network_namespace(name: str) -> Iterator[str]:
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        run_in = ["ip", "netns", "exec", name]
        subprocess.run([*run_in, "ip", "link", "set", "lo", "up"], check=True)
        subprocess.run([*run_in, "ip", "link", "add", "eth0", "type", "veth", "peer", "name",
                        "eth1"], check=True)  # fmt: skip
        subprocess.run([*run_in, "ip", "link", "set", "eth0", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


class VendorKey:
    """A throw-away vendor key pair: the test signs licences, the unit trusts its public half."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.key = Ed25519PrivateKey.generate()
        self.public_pem = directory / "license-public.pem"
        self.public_pem.write_bytes(
            self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def licence(self, serial: str, tier: str, **extra: object) -> dict[str, object]:
        payload: dict[str, object] = {
            "license_id": f"L-{tier}-{serial}",
            "serial": serial,
            "tier": tier,
            "addons": [],
            "update_support_until": (
                datetime.date.today() + datetime.timedelta(days=400)
            ).isoformat(),
            "issued": datetime.date.today().isoformat(),
        }
        payload.update(extra)
        return sign(payload, self.key)


def fake_sysfs(directory: Path, product_uuid: str = PRODUCT_UUID) -> Path:
    dmi = directory / "class/dmi/id"
    dmi.mkdir(parents=True, exist_ok=True)
    (dmi / "product_uuid").write_text(product_uuid + "\n")
    nic = directory / "class/net/eth0"
    nic.mkdir(parents=True, exist_ok=True)
    (nic / "address").write_text("52:54:00:12:34:56\n")
    return directory


@dataclass
class Agent:
    """The agent from the source tree, run like systemd runs it on the unit."""

    workdir: Path
    data_dir: Path
    netns: str
    board: str
    public_key: Path
    sysfs: Path
    asterisk_command: list[str] = field(default_factory=lambda: ["/bin/false"])
    credentials_dir: Path | None = None  # what systemd hands the unit (ImportCredential=)
    extra_settings: dict[str, object] = field(default_factory=dict)  # agent.toml, added
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.workdir / "run/agent.sock"

    @property
    def log(self) -> Path:
        return self.workdir / "agent.log"

    def write_settings(self) -> Path:
        cmdline = self.workdir / "cmdline"
        cmdline.write_text(f"root=PARTLABEL=rootfs-a orpheus.board={self.board}\n")
        settings = {
            "data_dir": str(self.data_dir),
            "run_dir": str(self.workdir / "run"),
            "http_address": "127.0.0.1",
            "http_port": HTTP_PORT,
            "https_port": HTTPS_PORT,
            "console_banner_reload": [],  # the host's login prompts are not the unit's
            "release_file": str(self.workdir / "release.json"),
            "cmdline_file": str(cmdline),
            "asterisk_command": self.asterisk_command,
            "rauc_enabled": False,
            "license_public_key": str(self.public_key),
            "sysfs_dir": str(self.sysfs),
            # Not under systemd: a transient unit would capture the host's namespace, so
            # tcpdump runs as the agent's child (the host's, from builder/hosttools.py).
            "capture_runner": "agent",
            "network_apply_command": [],  # the host's networkd is not the unit's
            "time_apply_command": [],  # nor its timesyncd
            "reboot_enabled": False,  # nor its systemd: the console's reboot is refused
        }
        if self.credentials_dir is not None:
            settings["credentials_dir"] = str(self.credentials_dir)
        settings.update(self.extra_settings)
        lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
        path = self.workdir / "agent.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> None:
        settings = self.write_settings()
        env = {**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", self.netns, sys.executable, "-m", "orpheus",
                 "--config", str(settings)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        wait_for(
            "the agent",
            lambda: self.ctl("license", "show", "--json").returncode == 0,
            timeout=UNIT_TIMEOUT_SECONDS,
            interval=0.2,
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """orpheusctl as an admin runs it on the unit. It sends X-Orpheus-User: tester (from
        SUDO_USER), which the agent ignores: the audit log names console_user()."""
        return self.ctl_input("", *args)

    def ctl_input(self, text: str, *args: str) -> subprocess.CompletedProcess[str]:
        """orpheusctl with text on its standard input (a password for --stdin)."""
        env = {**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}", "SUDO_USER": "tester"}
        command = [sys.executable, "-c", "import sys; from orpheus.cli.main import main; "
                   "sys.exit(main())", "--socket", str(self.socket), *args]  # fmt: skip
        return subprocess.run(command, input=text, capture_output=True, text=True, env=env,
                              check=False)  # fmt: skip

    def ctl_json(self, *args: str) -> object:
        result = self.ctl(*args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def console_user() -> str:
    """The audit user of orpheusctl run by this process, as the agent names it from the
    socket's peer credentials: the login user if there is one, else the user it runs as."""
    login = int(Path("/proc/self/loginuid").read_text().strip())
    uid = os.getuid() if login == 2**32 - 1 else login
    return f"{pwd.getpwuid(uid).pw_name} (console)"


@dataclass
class Unit:
    """A whole unit: sandboxed Asterisk and the agent, in one network namespace."""

    sandbox: RootfsSandbox
    asterisk: SandboxAsterisk
    agent: Agent
    vendor: VendorKey
    serial: str

    def cli(self, command: str) -> str:
        return self.asterisk.cli(command)

    def counted_calls(self) -> int:
        """Channels in the licence's call group, as Asterisk itself counts them."""
        lines = self.cli("group show channels").splitlines()
        return sum(1 for line in lines if line.split()[-2:] == ["calls", "orpheus"])

    def install_licence(
        self, document: dict[str, object], name: str
    ) -> subprocess.CompletedProcess[str]:
        path = self.agent.workdir / f"{name}.json"
        path.write_text(json.dumps(document))
        return self.agent.ctl("license", "install", str(path))


def add_extension(unit: Unit, number: str) -> None:
    result = unit.agent.ctl("pbx", "add", "extension", f"number={number}", f"password={PASSWORD}")
    assert result.returncode == 0, result.stderr


def register_phone(unit: Unit, number: str, port: int, media_port: int = 31000) -> Sipp:
    """A phone registers, then answers every call on the same port until BYE (each phone of
    a test on a media port of its own)."""
    workdir = unit.agent.workdir
    Sipp(unit.agent.netns, workdir, f"register-{number}").run("register.xml", [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", str(port), "-key", "caller", number,
        "-au", number, "-ap", PASSWORD, "-m", "1", "-timeout", "60s",
    ])  # fmt: skip
    phone = Sipp(unit.agent.netns, workdir, f"phone-{number}")
    phone.start("uas_phone.xml", ["-i", "127.0.0.1", "-p", str(port), "-mp", str(media_port)])
    return phone


@contextlib.contextmanager
def agent_with_factory_password(workdir: Path, netns_name: str, password: str) -> Iterator[Agent]:
    """A Mini's agent alone (no Asterisk) in a namespace of its own, started with the admin
    password credential systemd hands over at first boot."""
    credentials = workdir / "credentials"
    credentials.mkdir()
    (credentials / "orpheus.admin-password").write_text(password + "\n")
    data = workdir / "data"
    (data / "etc/asterisk").mkdir(parents=True)  # as the image ships it
    with network_namespace(netns_name) as netns:
        agent = Agent(
            workdir=workdir, data_dir=data, netns=netns, board="mini",
            public_key=VendorKey(workdir).public_pem, sysfs=fake_sysfs(workdir / "sys"),
            credentials_dir=credentials,
        )  # fmt: skip
        agent.start()  # waits until it answers
        try:
            yield agent
        finally:
            agent.stop()


@contextlib.contextmanager
def running_unit(
    rootfs: Path,
    workdir: Path,
    netns: str,
    board: str,
    serial: str,
    settings: dict[str, object] | None = None,
) -> Iterator[Unit]:
    """settings: agent.toml entries besides the testbed's (paths may name sandbox.root)."""
    with network_namespace(netns), RootfsSandbox(rootfs, workdir / "sandbox", netns) as sandbox:
        asterisk = SandboxAsterisk(sandbox)
        asterisk.start()
        vendor = VendorKey(workdir)
        spool = {  # the sandbox's /run: a tmpfs, where its Asterisk writes them
            "cdr_spool_dir": sandbox.root / "run/orpheus-cdr",
            "recording_spool_dir": sandbox.root / "run/orpheus-recording",
        }
        agent = Agent(
            workdir=workdir, data_dir=sandbox.data, netns=netns, board=board,
            public_key=vendor.public_pem, sysfs=fake_sysfs(workdir / "sys"),
            asterisk_command=["chroot", str(sandbox.root), "asterisk", "-rx"],
            extra_settings={k: str(v) if isinstance(v, Path) else v
                            for k, v in {**spool, **(settings or {})}.items()},
        )  # fmt: skip
        (workdir / "release.json").write_text('{"version": "test"}\n')
        agent.start()
        try:
            init = agent.ctl("identity", "init", "--serial", serial, "--board", board)
            assert init.returncode == 0, init.stderr
            yield Unit(sandbox, asterisk, agent, vendor, serial)
        finally:
            agent.stop()
            asterisk.stop()
