"""A unit for the SNMP tests: the image's Asterisk and snmpd in a sandbox, the agent on the host.

The agent (this tree's code) and the sandbox share one directory, bind-mounted at the same
absolute path inside the sandbox, so snmpd.conf, the AgentX socket and snmpd's pid file
have one path for both: the agent writes snmpd.conf there and reloads snmpd with SIGHUP.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.config import AgentConfig
from orpheus.dbus.fakes import FakeSystemd
from orpheus.snmp.feature import SnmpFeature
from orpheus.snmp.providers import ProviderRegistry
from testbed.rootfs import RootfsSandbox, SandboxAsterisk

SOURCE_DIR = Path(__file__).resolve().parents[2]
ARC = ".1.3.6.1.3.7361"


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


class SnmpUnit:
    def __init__(self, rootfs: Path, workdir: Path) -> None:
        self.shared = workdir / "shared"
        self.sandbox = RootfsSandbox(rootfs, workdir / "sandbox")
        self.asterisk = SandboxAsterisk(self.sandbox)
        self.snmp_port = free_port()
        self.http_port = free_port(socket.SOCK_STREAM)
        self.https_port = free_port(socket.SOCK_STREAM)  # the host's namespace: never 443
        self.data = self.shared / "data"
        self.snmpd_conf = self.data / "etc/snmp/snmpd.conf"
        self.pid_file = self.shared / "snmpd.pid"
        self.socket = self.shared / "run/agent.sock"
        self.agent: subprocess.Popen[bytes] | None = None
        self.snmpd: subprocess.Popen[bytes] | None = None
        self._bound: Path | None = None

    # --- life cycle -------------------------------------------------------------------

    def start(self, pjsip_conf: Path) -> None:
        self.shared.mkdir(parents=True)
        self.sandbox.mount()
        self._bound = self.sandbox.root / self.shared.relative_to("/")
        self._bound.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "--bind", str(self.shared), str(self._bound)], check=True)
        pjsip_dir = self.sandbox.data / "etc/asterisk/pjsip.d"
        pjsip_dir.mkdir(parents=True, exist_ok=True)
        (pjsip_dir / "test.conf").write_text(pjsip_conf.read_text())
        self.asterisk.start()
        self._start_agent()
        wait_for(self.snmpd_conf.exists, "the agent to write snmpd.conf")
        self.snmpd = self.sandbox.popen(
            ["snmpd", "-f", "-Lo", "-I", "-smux", "-C", "-c", str(self.snmpd_conf),
             "-p", str(self.pid_file)],
            self.shared / "snmpd.log",
        )  # fmt: skip
        wait_for(lambda: self.ctl_json("snmp", "show")["agentx_connected"], "AgentX session")

    def _start_agent(self) -> None:
        (self.shared / "cmdline").write_text("rauc.slot=A orpheus.board=mini quiet\n")
        # The data partition's layout (tmpfiles on the unit), for features that write there.
        (self.data / "etc/asterisk").mkdir(parents=True, exist_ok=True)
        settings = {
            "data_dir": str(self.data),
            "run_dir": str(self.shared / "run"),
            "http_address": "127.0.0.1",
            "http_port": self.http_port,
            "https_port": self.https_port,
            "console_banner_reload": [],  # the host's login prompts are not the unit's
            "network_apply_command": [],  # nor its networkd
            "time_apply_command": [],  # nor its timesyncd
            "reboot_enabled": False,  # nor its systemd: the console's reboot is refused
            "release_file": str(self.sandbox.rootfs / "usr/lib/orpheus/release.json"),
            "cmdline_file": str(self.shared / "cmdline"),
            "rauc_enabled": False,
            "firewall_enabled": False,  # the host's own namespace: never its nftables
            "asterisk_command": ["chroot", str(self.sandbox.root), "asterisk", "-rx"],
            "asterisk_poll_seconds": 1.0,
            "snmp_apply_command": ["pkill", "-HUP", "-F", str(self.pid_file)],
            "snmp_agentx_socket": str(self.shared / "agentx.sock"),
            "snmp_listen": [f"udp:127.0.0.1:{self.snmp_port}"],
            "snmp_refresh_seconds": 1.0,
        }
        config = self.shared / "agent.toml"
        config.write_text(
            "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
        )
        with (self.shared / "agent.log").open("ab") as log:
            self.agent = subprocess.Popen(
                [sys.executable, "-m", "orpheus", "--config", str(config)],
                stdout=log, stderr=subprocess.STDOUT, env=self._env(), start_new_session=True,
            )  # fmt: skip
        wait_for(self.socket.exists, "the agent's socket")

    def stop(self) -> None:
        for process in (self.snmpd, self.agent):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.asterisk.stop()
        if self._bound is not None:
            subprocess.run(["umount", "-l", str(self._bound)], check=False)
        self.sandbox.unmount()

    # --- clients ----------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}",
            "ORPHEUS_SOCKET": str(self.socket),
        }

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """orpheusctl, as an operator runs it."""
        code = "import sys; from orpheus.cli.main import main; sys.exit(main())"
        return subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, env=self._env(),
            check=False, timeout=60,
        )  # fmt: skip

    def ctl_json(self, *args: str) -> Any:
        result = self.ctl(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def snmp(
        self, tool: str, *args: str, community: str = "mon"
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool, "-v2c", "-c", community, "-On", "-t", "1", "-r", "1",
             f"127.0.0.1:{self.snmp_port}", *args],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip


@dataclass(frozen=True)
class HostSnmp:
    """The SNMP feature in this process over the host's snmpd, traps to snmptrapd."""

    feature: SnmpFeature
    snmp_port: int
    trap_log: Path


@contextmanager
def host_snmp(
    directory: Path, providers: ProviderRegistry, conf_lines: tuple[str, ...] = ()
) -> Iterator[HostSnmp]:
    """snmptrapd, the feature (refreshed by hand) and snmpd, its AgentX subagent connected;
    conf_lines go into snmpd.conf beside the trap sink."""
    snmp_port, trap_port = free_port(), free_port()
    trap_log = directory / "traps.log"
    (directory / "snmptrapd.conf").write_text("disableAuthorization yes\n")
    receiver = subprocess.Popen(
        ["snmptrapd", "-f", "-On", "-C", "-c", str(directory / "snmptrapd.conf"),
         "-Lf", str(trap_log), f"udp:127.0.0.1:{trap_port}"],
    )  # fmt: skip
    config = AgentConfig(
        data_dir=directory / "data",
        run_dir=directory / "run",
        snmp_apply_command=(),
        snmp_agentx_socket=directory / "agentx.sock",
        snmp_listen=(f"udp:127.0.0.1:{snmp_port}",),
        snmp_refresh_seconds=3600,  # the test refreshes by hand
    )
    feature = SnmpFeature(config, providers, None, FakeSystemd())  # snmp_apply_command=(): unused
    feature.start()
    conf = config.data_dir / "etc/snmp/snmpd.conf"
    with conf.open("a") as out:
        out.writelines(
            f"{line}\n" for line in (*conf_lines, f"trap2sink 127.0.0.1:{trap_port} traps")
        )
    snmpd = subprocess.Popen(
        ["snmpd", "-f", "-Lo", "-I", "-smux", "-C", "-c", str(conf)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert feature.subagent.wait_connected(30)
        feature.refresher.refresh()
        yield HostSnmp(feature, snmp_port, trap_log)
    finally:
        feature.stop()
        for process in (snmpd, receiver):
            process.terminate()
            process.wait()
