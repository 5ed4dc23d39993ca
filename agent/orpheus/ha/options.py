"""What the HA feature is configured with, taken from the agent's configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.ha.keepalived import KeepalivedPaths


@dataclass(frozen=True)
class HaOptions:
    data_dir: Path
    state_dir: Path
    agent_socket: Path  # the agent's Unix socket: keepalived's check asks it
    sync_port: int
    sync_scan_seconds: float
    firmware_version: str
    asterisk_command: tuple[str, ...]
    keepalived_command: tuple[str, ...]
    keepalived_paths: KeepalivedPaths
    log_dir: Path
    agentx_socket: Path | None = None  # snmpd's AgentX master socket, as keepalived sees it


def options_from(config: Any, firmware_version: str) -> HaOptions:
    """HaOptions from the AgentConfig (kept here so the config module stays plain data)."""
    return HaOptions(
        data_dir=config.data_dir,
        state_dir=config.state_dir,
        agent_socket=config.ha_agent_socket or config.socket_path,
        sync_port=config.ha_sync_port,
        sync_scan_seconds=config.ha_sync_scan_seconds,
        firmware_version=firmware_version,
        asterisk_command=tuple(config.asterisk_command),
        keepalived_command=tuple(config.ha_keepalived_command),
        keepalived_paths=KeepalivedPaths(
            root=config.ha_keepalived_root,
            run_dir=config.ha_keepalived_run_dir,
            script_dir=config.ha_script_dir,
        ),
        log_dir=config.run_dir,
        agentx_socket=config.snmp_agentx_socket,
    )
