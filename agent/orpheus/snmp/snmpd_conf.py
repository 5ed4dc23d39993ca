"""snmpd.conf rendered from the settings, and how snmpd is told to re-read it.

snmpd answers read-only only: communities (v1/v2c) each limited to its source networks,
v3 users with authPriv (SHA/AES), a view of the whole tree; standard MIBs (system,
interfaces, host resources, UCD load and disk) come from snmpd itself; ORPHEUS-MIB and
keepalived's VRRP MIBs arrive over the AgentX master socket.
"""

from __future__ import annotations

import grp
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orpheus import files, runner
from orpheus.config_text import check_value
from orpheus.dbus.systemd import Systemd, SystemdError
from orpheus.snmp.settings import SnmpSettings

log = logging.getLogger(__name__)

SNMPD_GROUP = "Debian-snmp"
SNMPD_UNIT = "snmpd.service"
APPLY_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class DaemonOptions:
    agentx_socket: Path
    listen: tuple[str, ...] = ("udp:161", "udp6:161")
    disks: tuple[Path, ...] = (Path("/"), Path("/data"))


def _quoted(text: str) -> str:
    return f'"{text}"'


def render(settings: SnmpSettings, options: DaemonOptions) -> str:
    """snmpd.conf; config_text.UnsafeValue for a value that would break out of its line."""
    check_value(settings.public(), "SNMP setting")
    for user in settings.users:
        check_value([user.auth_password, user.priv_password], f"SNMP v3 user {user.name!r}")
    lines = [
        "# Written by the Orpheus agent from `orpheusctl snmp set`; changes here are lost.",
        f"agentaddress {','.join(options.listen)}",
        "master agentx",
        f"agentXSocket {options.agentx_socket}",
        "agentXPerms 0660 0755",
        "view all included .1",
    ]
    if settings.contact:
        lines.append(f"sysContact {settings.contact}")
    if settings.location:
        lines.append(f"sysLocation {settings.location}")
    lines.append("sysServices 72")
    for community in settings.communities:
        for source in community.sources:
            directive = "rocommunity6" if ":" in source else "rocommunity"
            lines.append(f"{directive} {community.name} {source} -V all")
    for user in settings.users:
        lines.append(
            f"createUser {user.name} SHA {_quoted(user.auth_password)} "
            f"AES {_quoted(user.priv_password)}"
        )
        lines.append(f"rouser {user.name} priv -V all")
    users = {user.name: user for user in settings.users}
    for receiver in settings.receivers:
        target = f"{receiver.host}:{receiver.port}"
        if receiver.community:
            lines.append(f"trap2sink {target} {receiver.community}")
        elif receiver.user:
            user = users[receiver.user]
            lines.append(
                f"trapsess -v 3 -Ci -u {user.name} -l authPriv -a SHA "
                f"-A {_quoted(user.auth_password)} -x AES -X {_quoted(user.priv_password)} "
                f"{target}"
            )
    # UCD: load averages and disk space (dskTable) next to HOST-RESOURCES' hrStorage.
    lines.append("load 12 10 5")
    lines.extend(f"disk {disk} 10%" for disk in options.disks)
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Mode 0640, group Debian-snmp when it exists (snmpd drops to it), never world-readable."""
    files.write_file(path, text, mode=0o640, owner=_root_only(0), group=_snmpd_gid())


def _root_only(uid: int) -> int | None:
    """Ownership can be given only by root (tests run as another user: left as created)."""
    return uid if os.geteuid() == 0 else None


def _snmpd_gid() -> int | None:
    try:
        return _root_only(grp.getgrnam(SNMPD_GROUP).gr_gid)
    except KeyError:
        return None


def apply(command: Sequence[str] | None, systemd: Systemd) -> str | None:
    """Makes snmpd read its configuration again; returns an error message or None.

    command None: systemd reloads (or restarts) snmpd.service, as on the unit; a command: it
    is run instead (host tests run snmpd without systemd); an empty one: nothing is done."""
    if command is None:
        try:
            systemd.reload_or_restart_unit(SNMPD_UNIT)
        except SystemdError as error:
            return str(error)
        return None
    if not command:
        return None
    try:
        runner.run(command, timeout=APPLY_TIMEOUT_SECONDS)
    except runner.CommandError as error:
        return str(error)
    return None
