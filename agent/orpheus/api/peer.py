"""Who is on the other end of the agent's Unix socket, as the kernel says (SO_PEERCRED).

Read once, when the connection is accepted, and handed to the application in the WSGI
environ, so that the audit log names the local user from the kernel's word, never from a
header the client sets. The login uid (/proc/<pid>/loginuid, set by pam_loginuid at login and
kept across sudo and su) names the person: `sudo orpheusctl` run by alice is alice.
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PEER_ENVIRON_KEY = "orpheus.peer"
# The kernel's "no login uid" ((uid_t) -1): a daemon, or a system without pam_loginuid.
_UNSET_LOGIN_UID = 2**32 - 1
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass(frozen=True)
class PeerCredentials:
    pid: int  # 0 when the peer is in another PID namespace
    uid: int
    gid: int
    login_uid: int | None  # None when unset or unreadable


def peer_credentials(sock: socket.socket, proc: Path = Path("/proc")) -> PeerCredentials | None:
    """The connecting process's credentials; None (logged) when the kernel gives none."""
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    except OSError as error:
        log.warning("no peer credentials on the local socket: %s", error)
        return None
    pid, uid, gid = _UCRED.unpack(raw)
    return PeerCredentials(pid, uid, gid, login_uid(pid, proc) if pid > 0 else None)


def login_uid(pid: int, proc: Path = Path("/proc")) -> int | None:
    try:
        value = int((proc / str(pid) / "loginuid").read_text().strip())
    except (OSError, ValueError):  # the process is gone, or the kernel has no audit support
        return None
    return None if value == _UNSET_LOGIN_UID else value
