"""A pair lab: two units (real agents, the image's keepalived) in network namespaces.

Layout, all inside namespaces this lab creates: a bridge namespace with br0; nodes a and b
(10.213.0.1 and .2) and a "gateway" namespace (10.213.0.254, the witness and the SIP client)
each joined to br0 by a veth pair. The VIP is 10.213.0.100/24.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient, AgentError
from testbed.paths import SOURCE_DIR, VENV_PYTHON
from testbed.polling import wait_for
from testbed.rootfs import RootfsSandbox, SandboxAsterisk

SUBNET = "10.213.0"
VIP = f"{SUBNET}.100/24"
GATEWAY = f"{SUBNET}.254"
AGENT_PORT = 8080
AGENT_HTTPS_PORT = 8443
FAKE_ASTERISK = ("echo", "Asterisk", "lab")
CTL = "import sys; from orpheus.cli.main import main; sys.exit(main())"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def in_ns(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns, *argv, check=check)


@dataclass
class Node:
    name: str
    ns: str
    address: str
    port_in_bridge: str
    workdir: Path
    sandbox: RootfsSandbox
    version: str = "0.1.0"
    board: str = "lite"
    real_asterisk: bool = False
    agent: subprocess.Popen[bytes] | None = None
    asterisk: SandboxAsterisk | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.sandbox.data

    @property
    def client(self) -> AgentClient:
        return AgentClient(self.workdir / "run/agent.sock", timeout=30)

    def write_agent_config(self) -> Path:
        root = self.sandbox.root
        (self.workdir / "release.json").write_text(json.dumps({"version": self.version}))
        (self.workdir / "cmdline").write_text(f"rauc.slot=A orpheus.board={self.board}\n")
        asterisk = ["chroot", str(root), "asterisk", "-rx"] if self.real_asterisk else FAKE_ASTERISK
        config = {
            "data_dir": str(self.data),
            "run_dir": str(self.workdir / "run"),
            "http_address": "0.0.0.0",
            "http_port": AGENT_PORT,
            "https_port": AGENT_HTTPS_PORT,
            "console_banner_reload": [],  # the host's login prompts are not the unit's
            "network_apply_command": [],  # nor its networkd
            "time_apply_command": [],  # nor its timesyncd
            "reboot_enabled": False,  # nor its systemd: the console's reboot is refused
            "release_file": str(self.workdir / "release.json"),
            "cmdline_file": str(self.workdir / "cmdline"),
            "asterisk_poll_seconds": 1.0,
            "asterisk_command": list(asterisk),
            "rauc_enabled": False,
            "ha_keepalived_command": ["chroot", str(root), "keepalived"],
            "ha_keepalived_root": str(root),
            "ha_agent_socket": "/run/orpheus/agent.sock",  # the run dir, bound there (add_node)
            **self.extra,
        }
        path = self.workdir / "agent.toml"
        path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in config.items()))
        return path

    def start_agent(self) -> None:
        config = self.write_agent_config()
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{SOURCE_DIR / 'agent'}"}
        with (self.workdir / "agent.log").open("ab") as log:
            self.agent = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, str(VENV_PYTHON), "-m", "orpheus",
                 "--config", str(config)],
                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        wait_for(f"agent {self.name}", self._agent_answers)

    def _agent_answers(self) -> bool:
        try:
            self.client.request("GET", "/api/v1/ha")
        except AgentError:
            return False
        return True

    def ctl(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """orpheusctl against this node's agent (exit code and output kept, never raised)."""
        socket = str(self.workdir / "run/agent.sock")
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(SOURCE_DIR / "agent")}
        return subprocess.run(
            [str(VENV_PYTHON), "-c", CTL, "--socket", socket, *argv],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip

    def ha(self) -> dict[str, Any]:
        return self.client.request("GET", "/api/v1/ha")  # type: ignore[no-any-return]

    def has_vip(self) -> bool:
        out = in_ns(self.ns, "ip", "-4", "-o", "addr", "show").stdout
        return f" {VIP.split('/')[0]}/" in out

    def keepalived_pids(self) -> list[int]:
        pids = []
        for name in ("keepalived.pid", "vrrp.pid"):
            with contextlib.suppress(OSError, ValueError):
                pids.append(int((self.sandbox.root / "run/orpheus/ha" / name).read_text()))
        return pids

    def start_asterisk(self) -> None:
        """The image's Asterisk in this node's namespace (before the agent: its health needs it)."""
        self.asterisk = SandboxAsterisk(self.sandbox)
        self.asterisk.start()

    def revive(self) -> None:
        """After kill(): the unit comes back as after a reboot (no VIP left), link and agent up."""
        in_ns(self.ns, "ip", "addr", "del", VIP, "dev", "eth0", check=False)
        in_ns(self.ns, "ip", "link", "set", "eth0", "up")
        self.start_agent()

    def kill(self) -> None:
        """The hard failure: SIGKILL of keepalived and the agent, then the link goes down."""
        for pid in self.keepalived_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.agent is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.agent.pid, signal.SIGKILL)
            self.agent.wait()
        in_ns(self.ns, "ip", "link", "set", "eth0", "down")

    def stop(self) -> None:
        if self.agent is not None and self.agent.poll() is None:
            os.killpg(self.agent.pid, signal.SIGTERM)
            try:
                self.agent.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.agent.pid, signal.SIGKILL)
                self.agent.wait()
        for pid in self.keepalived_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.asterisk is not None:
            self.asterisk.stop()


class Lab:
    def __init__(self, rootfs: Path, workdir: Path, tag: str) -> None:
        self.rootfs = rootfs
        self.workdir = workdir
        self.tag = tag
        self.bridge_ns = f"orph{tag}-br"
        self.gateway_ns = f"orph{tag}-gw"
        self.nodes: dict[str, Node] = {}

    def _link(self, ns: str, address: str, port: str) -> None:
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", port, "netns", self.bridge_ns, "type", "veth",
           "peer", "name", "eth0", "netns", ns)  # fmt: skip
        in_ns(self.bridge_ns, "ip", "link", "set", port, "master", "br0", "up")
        in_ns(ns, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
        in_ns(ns, "ip", "link", "set", "eth0", "up")
        in_ns(ns, "ip", "link", "set", "lo", "up")

    def up(self) -> None:
        sh("ip", "netns", "add", self.bridge_ns)
        in_ns(self.bridge_ns, "ip", "link", "add", "br0", "type", "bridge")
        in_ns(self.bridge_ns, "ip", "link", "set", "br0", "up")
        self._link(self.gateway_ns, GATEWAY, "vgw")

    def add_node(self, name: str, host_byte: int, **kwargs: Any) -> Node:
        ns = f"orph{self.tag}-{name}"
        address = f"{SUBNET}.{host_byte}"
        self._link(ns, address, f"v{name}")
        in_ns(ns, "ip", "route", "add", "default", "via", GATEWAY)
        workdir = self.workdir / name
        sandbox = RootfsSandbox(self.rootfs, workdir, netns=ns)
        sandbox.mount()
        # keepalived runs chrooted: its check reaches the agent's socket where a unit has it.
        (workdir / "run").mkdir(exist_ok=True)
        sandbox.bind(workdir / "run", "run/orpheus")
        scripts = sandbox.root / "usr/lib/orpheus/ha"
        scripts.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOURCE_DIR / "ha/orpheus-ha-check", scripts / "orpheus-ha-check")
        node = Node(name, ns, address, f"v{name}", workdir, sandbox, **kwargs)
        self.nodes[name] = node
        return node

    def pair(self, master: Node, slave: Node, *extra: str) -> None:
        joined = slave.client.request("POST", "/api/v1/ha/join")
        body: dict[str, Any] = {
            "peer": slave.address,
            "vip": VIP,
            "interface": "eth0",
            "code": joined["code"],
            "peer_fingerprint": joined["fingerprint"],
        }
        for item in extra:
            key, _, value = item.partition("=")
            body[key] = json.loads(value)
        master.client.request("POST", "/api/v1/ha/pair", body)

    def masters(self) -> list[str]:
        running = [n for n in self.nodes.values() if n.agent and n.agent.poll() is None]
        return [node.name for node in running if node.ha()["role"] == "master"]

    def vip_holders(self) -> list[str]:
        return [name for name, node in self.nodes.items() if node.has_vip()]

    def detach(self, node: Node) -> None:
        """Cuts node off from everyone, carrier kept (a switch port that stopped forwarding)."""
        in_ns(self.bridge_ns, "ip", "link", "set", node.port_in_bridge, "nomaster")

    def attach(self, node: Node) -> None:
        in_ns(self.bridge_ns, "ip", "link", "set", node.port_in_bridge, "master", "br0")

    def isolate_from_each_other(self, *nodes: Node, on: bool = True) -> None:
        """Bridge port isolation: the nodes still reach the gateway, not each other."""
        for node in nodes:
            in_ns(self.bridge_ns, "bridge", "link", "set", "dev", node.port_in_bridge,
                  "isolated", "on" if on else "off")  # fmt: skip

    def down(self) -> None:
        for node in self.nodes.values():
            with contextlib.suppress(Exception):
                node.stop()
            node.sandbox.unmount()
        for ns in [*(n.ns for n in self.nodes.values()), self.gateway_ns, self.bridge_ns]:
            sh("ip", "netns", "del", ns, check=False)


@contextlib.contextmanager
def lab(rootfs: Path, workdir: Path, tag: str) -> Iterator[Lab]:
    # The pid keeps namespaces apart when two test runs share the host.
    pair_lab = Lab(rootfs, workdir, f"{os.getpid()}-{tag}")
    try:
        pair_lab.up()
        yield pair_lab
    finally:
        pair_lab.down()
