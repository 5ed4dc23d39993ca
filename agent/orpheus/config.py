"""The agent's settings: defaults for the device, overridable by a TOML file.

Every path the agent touches derives from here, so tests run the agent on a host with a
temporary data directory and run directory.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONFIG_FILE = Path("/data/orpheus/agent.toml")
# Settings that are a list of strings when given and None by default.
_OPTIONAL_LISTS = frozenset({"snmp_apply_command"})


@dataclass(frozen=True)
class AgentConfig:
    # Persistent state on the data partition, shared by both root slots.
    data_dir: Path = Path("/data")
    # Sockets and runtime files.
    run_dir: Path = Path("/run/orpheus")
    # Plain HTTP: GET /api/v1/health for monitoring probes, a 308 to HTTPS for the rest (the
    # CLI uses a root-only Unix socket instead).
    http_address: str = "0.0.0.0"
    http_port: int = 80
    # HTTPS on the same address (https/): the API and the page.
    https_port: int = 443
    # Run after the console banner (run_dir/issue) is written, so that login prompts already
    # on screen show it; empty: nothing is run (a test agent on a host).
    console_banner_reload: tuple[str, ...] = ("agetty", "--reload")
    # Firmware release file written by the image builder.
    release_file: Path = Path("/usr/lib/orpheus/release.json")
    # Kernel command line: GRUB puts the booted slot and the board there.
    cmdline_file: Path = Path("/proc/cmdline")
    # systemd credentials handed over at first boot (factory, hypervisor SMBIOS, tests).
    credentials_dir: Path | None = None
    # How often Asterisk is asked for its state; requests read the cached answer.
    asterisk_poll_seconds: float = 5.0
    asterisk_command: tuple[str, ...] = ("asterisk", "-rx")
    # Health-gated commit of a freshly booted slot.
    commit_deadline_seconds: float = 300.0
    # How often the agent looks whether the fallback slot needs restoring (update/fallback.py),
    # and how long a bundle download may go without a byte before it is given up.
    fallback_check_seconds: float = 10.0
    update_stall_seconds: float = 60.0
    rauc_enabled: bool = True
    # False: the agent leaves nftables and Asterisk's SIP ACL alone (no firewall feature, its
    # SNMP objects absent); only for a test agent that shares the host's network namespace.
    firewall_enabled: bool = True
    # SNMP: snmpd re-reads the configuration the agent writes to data_dir/etc/snmp/snmpd.conf.
    # Unset, systemd reloads snmpd.service over D-Bus; a command (tests without systemd) is
    # run instead; an empty list does nothing.
    snmp_apply_command: tuple[str, ...] | None = None
    snmp_agentx_socket: Path = Path("/run/agentx/master")
    snmp_listen: tuple[str, ...] = ("udp:161", "udp6:161")
    snmp_refresh_seconds: float = 3.0
    # The RAM spool (a tmpfs) Asterisk records into, as the agent sees it (Asterisk sees
    # recordings.names.ASTERISK_SPOOL), and how often the agent takes in what it added.
    recording_spool_dir: Path = Path("/run/orpheus-recording")
    recording_poll_seconds: float = 0.5
    # cdr_custom's RAM spool (cdr/spool.py) as the agent sees it (Asterisk sees
    # cdr.spool.ASTERISK_SPOOL), and how often the agent takes the records in it.
    cdr_spool_dir: Path = Path("/run/orpheus-cdr")
    cdr_spool_poll_seconds: float = 5.0
    # Recordings waiting on internal for their target (storage/placement.py): past this
    # quota an alarm says so (none is deleted); how often a missing target is tried again.
    recording_pending_quota_mb: int = 4000
    recording_placement_retry_seconds: float = 30.0
    # High availability (see agent/orpheus/ha/): the pair channel's TLS port, how often the
    # synced files are scanned, and keepalived (its command and the root it sees, a chroot in
    # tests; run_dir and script_dir are paths as keepalived sees them).
    ha_sync_port: int = 7443
    ha_sync_scan_seconds: float = 0.1
    ha_keepalived_command: tuple[str, ...] = ("keepalived",)
    ha_keepalived_root: Path = Path("/")
    ha_keepalived_run_dir: Path = Path("/run/orpheus/ha")
    ha_script_dir: Path = Path("/usr/lib/orpheus/ha")
    # The agent's Unix socket as keepalived's check script sees it (unset: socket_path).
    ha_agent_socket: Path | None = None
    # Licensing and the PBX (see agent/orpheus/licensing/ and pbx/): the vendor's public key,
    # sysfs (identity and hardware fingerprint), and AMI on 127.0.0.1 for reloads.
    license_public_key: Path = Path("/usr/share/orpheus/license-public.pem")
    # The factory's key: the signature over the identity (licensing/factory_signature.py).
    factory_public_key: Path = Path("/usr/share/orpheus/factory-public.pem")
    sysfs_dir: Path = Path("/sys")
    ami_port: int = 5038
    # Packet capture (capture/): tcpdump (an absolute path: a unit's ExecStart), what all
    # kept captures (in run_dir/captures, RAM) may hold together, and where tcpdump runs:
    # "systemd" (a transient unit) or "agent" (its child; an agent not under systemd).
    capture_command: str = "/usr/bin/tcpdump"
    capture_quota_mb: int = 100  # /run is a fifth of RAM: 400 MB on a Mini
    capture_runner: str = "systemd"
    # The UDP port on 127.0.0.1 where the agent takes Asterisk's HEP (decrypted SIP, for
    # captures of SIP over TLS: capture/hep_asterisk.py); 0: no HEP.
    capture_hep_port: int = 9064
    # False: the console's reboot route (console/routes.py) is refused; for a test agent on
    # a host, whose systemd is not the unit's.
    reboot_enabled: bool = True
    # The address settings (network/): networkd re-reads the file the agent writes under
    # data_dir/etc/systemd/network and reconfigures what changed; an empty list runs nothing
    # (a test agent on a host, whose networkd is not the unit's).
    network_apply_command: tuple[str, ...] = ("networkctl", "reload")
    # The time settings (clock/): timesyncd reads its files only at start; an empty list runs
    # nothing (a test agent on a host, whose timesyncd is not the unit's). Zones are checked
    # against the running system's zoneinfo; timesyncd marks a synchronized clock in a file.
    time_apply_command: tuple[str, ...] = ("systemctl", "restart", "systemd-timesyncd.service")
    zoneinfo_dir: Path = Path("/usr/share/zoneinfo")
    time_synchronized_file: Path = Path("/run/systemd/timesync/synchronized")
    # Log-in sessions (users/sessions.py): idle timeout and absolute lifetime.
    session_idle_seconds: float = 15 * 60.0
    session_max_seconds: float = 12 * 3600.0

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "orpheus"

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "agent.sock"

    @property
    def asterisk_config_dir(self) -> Path:
        return self.data_dir / "etc/asterisk"


def load_config(path: Path | None = None) -> AgentConfig:
    """Reads the TOML file if it exists; unknown keys are an error, like RAUC's system.conf."""
    path = path or DEFAULT_CONFIG_FILE
    if not path.exists():
        return AgentConfig()
    raw = tomllib.loads(path.read_text())
    return config_from_mapping(raw, source=str(path))


def config_from_mapping(raw: dict[str, object], source: str = "<mapping>") -> AgentConfig:
    fields = {f.name: f for f in dataclasses.fields(AgentConfig)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ValueError(f"{source}: unknown setting(s): {', '.join(unknown)}")
    values: dict[str, object] = {}
    for name, value in raw.items():
        default = getattr(AgentConfig, name, None)
        if isinstance(default, Path) or name in ("credentials_dir",):
            values[name] = Path(str(value))
        elif isinstance(default, tuple) or name in _OPTIONAL_LISTS:
            values[name] = tuple(str(v) for v in value)  # type: ignore[attr-defined]
        else:
            values[name] = value
    return AgentConfig(**values)  # type: ignore[arg-type]
