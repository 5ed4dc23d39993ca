"""Who made a request, for the audit log.

On the root-only Unix socket orpheusctl names the logged-in user in a header (the socket is
trusted, like the rest of its requests); on TCP it is the HTTP Basic user that authenticated.
"""

from __future__ import annotations

import re

import bottle

from orpheus.api.app import LOCAL_ENVIRON_KEY

USER_HEADER = "X-Orpheus-User"
_SAFE = re.compile(r"[^A-Za-z0-9._@-]")


def request_user() -> str:
    if bottle.request.environ.get(LOCAL_ENVIRON_KEY):
        named = _SAFE.sub("", bottle.request.get_header(USER_HEADER, "") or "")[:64]
        return f"{named or 'root'} (console)"
    credentials = bottle.request.auth
    return credentials[0] if credentials else "anonymous"
