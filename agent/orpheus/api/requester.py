"""Who made a request, for the audit log.

On the root-only Unix socket it is the local user the kernel names (api/peer.py): the login
user when the process has one (`sudo orpheusctl` run by alice is alice), else the user the
process runs as. A header the client sets (orpheusctl sent X-Orpheus-User once) is ignored. On
TCP it is the HTTP Basic user that authenticated.
"""

from __future__ import annotations

import pwd

import bottle

from orpheus.api.app import LOCAL_ENVIRON_KEY
from orpheus.api.authentication import current_principal
from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials


def request_user() -> str:
    """On TCP: the authenticated user, by HTTP Basic, API token or log-in session."""
    environ = bottle.request.environ
    if environ.get(LOCAL_ENVIRON_KEY):
        return f"{local_user(environ.get(PEER_ENVIRON_KEY))} (console)"
    principal = current_principal()
    return principal.name if principal else "anonymous"


def local_user(peer: PeerCredentials | None) -> str:
    if peer is None:
        return "unknown"
    return user_name(peer.uid if peer.login_uid is None else peer.login_uid)


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no account (a deleted user): the number is still the truth
        return f"uid {uid}"
