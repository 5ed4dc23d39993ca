"""keepalived: the configuration the agent renders and the process it keeps running.

keepalived may run in another root than the agent's (a chroot in tests): `root` is where its
filesystem is seen from the agent, while paths written into the configuration are its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orpheus import files, runner
from orpheus.config_text import check_value
from orpheus.ha.pair import PairSettings

log = logging.getLogger(__name__)

INSTANCE = "orpheus"
CHECK_SCRIPT = "orpheus_health"
# keepalived ends within a second of SIGTERM (it drops the VIP first); a stop waits this long.
STOP_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class KeepalivedPaths:
    """Paths as keepalived sees them; `root` maps them to the agent's view."""

    root: Path
    run_dir: Path  # holds keepalived.conf, the notify FIFO and the pid files
    script_dir: Path  # the installed ha/ scripts (the track script)

    def host(self, path: Path) -> Path:
        return self.root / path.relative_to("/")

    @property
    def conf(self) -> Path:
        return self.run_dir / "keepalived.conf"

    @property
    def fifo(self) -> Path:
        return self.run_dir / "notify.fifo"

    @property
    def pid(self) -> Path:
        return self.run_dir / "keepalived.pid"

    @property
    def vrrp_pid(self) -> Path:
        return self.run_dir / "vrrp.pid"


def snmp_lines(agentx_socket: Path | None) -> str:
    """KEEPALIVED-MIB's VRRP part and VRRPv3-MIB (RFC 6527), served through snmpd's AgentX
    master socket (keepalived retries quietly while snmpd is not running)."""
    if agentx_socket is None:
        return ""
    return f"    enable_snmp_vrrp\n    enable_snmp_rfcv3\n    snmp_socket unix:{agentx_socket}\n"


def render(
    settings: PairSettings,
    paths: KeepalivedPaths,
    agent_socket: Path,
    agentx_socket: Path | None = None,
    preempt_delay: int = 0,
) -> str:
    """keepalived.conf: unicast VRRP to the peer, both nodes BACKUP so nopreempt can work;
    with an AgentX socket (as keepalived sees it), its VRRP MIBs are exported through snmpd.
    Without nopreempt, a preempt_delay (seconds) lets a repaired node sync before preempting."""
    check_value(dataclasses.asdict(settings), "HA setting")
    check = f"{paths.script_dir / 'orpheus-ha-check'} {agent_socket}"
    auth = ""
    if settings.vrrp_version == 2 and settings.auth_pass:
        auth = (
            "    authentication {\n        auth_type PASS\n"
            f"        auth_pass {settings.auth_pass}\n    }}\n"
        )
    preempt = "    nopreempt\n" if settings.nopreempt else ""
    delay = (
        f"    preempt_delay {preempt_delay}\n" if preempt_delay and not settings.nopreempt else ""
    )
    return (
        "# Rendered by the Orpheus agent from its HA pairing; edits are overwritten.\n"
        "global_defs {\n"
        f"    router_id orpheus-{settings.node_id[:12]}\n"
        f"    vrrp_version {settings.vrrp_version}\n"
        f'    vrrp_notify_fifo "{paths.fifo}"\n'
        "    script_user root\n"
        "    enable_script_security\n"
        "    vrrp_garp_master_refresh 10\n"
        "    vrrp_garp_master_repeat 2\n"
        "    vrrp_garp_lower_prio_repeat 2\n"
        f"{snmp_lines(agentx_socket)}"
        "}\n\n"
        f"vrrp_script {CHECK_SCRIPT} {{\n"
        f'    script "{check}"\n'
        "    interval 1\n"
        "    timeout 2\n"
        "    fall 1\n"
        "    rise 1\n"
        "}\n\n"
        f"vrrp_instance {INSTANCE} {{\n"
        "    state BACKUP\n"
        f"{delay}"
        f"    interface {settings.interface}\n"
        f"    virtual_router_id {settings.virtual_router_id}\n"
        f"    priority {settings.priority}\n"
        f"    advert_int {settings.advert_interval:g}\n"
        f"{preempt}"
        f"    unicast_src_ip {settings.local_address}\n"
        f"    unicast_peer {{\n        {settings.peer_address}\n    }}\n"
        f"    virtual_ipaddress {{\n        {settings.vip} dev {settings.interface}\n    }}\n"
        f"    track_script {{\n        {CHECK_SCRIPT}\n    }}\n"
        f"{auth}"
        "}\n"
    )


class KeepalivedProcess:
    """Starts keepalived detached (it outlives an agent restart) and reloads it with SIGHUP."""

    def __init__(self, command: Sequence[str], paths: KeepalivedPaths, log_file: Path) -> None:
        self._command = tuple(command)
        self._paths = paths
        self._log_file = log_file
        self._child: runner.Child | None = None

    def write_config(self, text: str) -> bool:
        """Writes keepalived.conf; True when it changed."""
        conf = self._paths.host(self._paths.conf)
        if conf.exists() and conf.read_text() == text:
            return False
        files.write_file(conf, text, mode=0o644)
        return True

    def pid(self) -> int | None:
        if self._child is not None:
            self._child.poll()  # reaps a keepalived that died, so it does not linger as a zombie
        try:
            pid = int(self._paths.host(self._paths.pid).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        if _is_zombie(pid):
            return None
        return pid

    def ensure_running(self, config_changed: bool) -> None:
        pid = self.pid()
        if pid is None:
            self._start()
        elif config_changed:
            log.info("reloading keepalived (pid %d)", pid)
            os.kill(pid, signal.SIGHUP)

    def _start(self) -> None:
        paths = self._paths
        self._log_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            *self._command,
            "--dont-fork", "--log-console", "--log-detail", "--vrrp",
            "--use-file", str(paths.conf),
            "--pid", str(paths.pid), "--vrrp_pid", str(paths.vrrp_pid),
        ]  # fmt: skip
        log.info("starting keepalived: %s", " ".join(argv))
        with self._log_file.open("ab") as out:
            self._child = runner.spawn(argv, output=out, new_session=True)

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._reap()

    def _reap(self) -> None:
        """Waits for our own child to exit, so an unpaired unit keeps no keepalived zombie
        (nothing polls pid() once the pairing is gone)."""
        child = self._child
        if child is None:
            return
        try:
            child.wait(STOP_WAIT_SECONDS)
        except runner.CommandError as error:
            log.warning("keepalived did not stop: %s", error)  # pid() reaps it later
            return
        self._child = None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"
