"""How large a request body may be, per route: the server asks when the header has arrived.

A BodyLimit is `body_limit(method, path) -> bytes`; the agent's comes from the routes'
declarations (Api.body_limit: JSON bodies up to 1 MiB, the firmware bundle upload up to the
data partition's free space). json_only is the cap of a server that has no declarations.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

BodyLimit = Callable[[str, str], int]

JSON_BODY_LIMIT = 1024 * 1024
UPLOAD_CONTENT_TYPE = "application/octet-stream"


def json_only(method: str, path: str) -> int:
    """Every route takes a JSON body of at most 1 MiB and no upload."""
    return JSON_BODY_LIMIT


def free_bytes(directory: Path) -> int:
    """Free space of the filesystem that holds directory (or its nearest existing parent)."""
    for candidate in (directory, *directory.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return 0


def request_body_limit(body_limit: BodyLimit, method: str, path: str, content_type: str) -> int:
    """An upload's cap is the route's; any other body is parsed in memory, so 1 MiB at most
    whatever the route's upload may take (the application checks the route's own JSON cap).
    A full disk makes an upload's cap 0, never a JSON request's (which answers why)."""
    if content_type.split(";", 1)[0].strip().lower() != UPLOAD_CONTENT_TYPE:
        return JSON_BODY_LIMIT
    return max(body_limit(method, path), 0)
