"""Admin levels: a name and, per area of the API, none / read / change.

Every route declares its area (Api.route); a GET needs "read", any other method "change".
The built-in `administrator` level has every right and cannot be changed or deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

AREAS = (
    "dashboard", "pbx", "licence", "firmware", "ha", "snmp", "storage", "recordings", "audit",
    "users", "diagnostics", "network",
)  # fmt: skip
# Routes every authenticated user may use for themselves: their session, password, tokens.
OWN = "own"
NONE, READ, CHANGE = "none", "read", "change"
RIGHTS = (NONE, READ, CHANGE)
ADMINISTRATOR = "administrator"
ADMINISTRATOR_RIGHTS: Mapping[str, str] = {area: CHANGE for area in AREAS}
# Names: a letter first, then letters, digits, '_', '.', '-'; nothing that could start a line.
NAME_PATTERN = r"^[a-z][a-z0-9_.-]{0,31}$"
_NAME = re.compile(NAME_PATTERN[1:-1])


class LevelRefused(ValueError):
    """A level or user change refused; one line for the client, answered with status."""

    status = 400


def check_name(kind: str, name: str) -> str:
    if not _NAME.fullmatch(name):
        raise LevelRefused(
            f"{kind} name {name!r}: a lowercase letter, then up to 31 lowercase letters, "
            "digits, '_', '.' or '-'"
        )
    return name


def check_rights(rights: Mapping[str, str]) -> dict[str, str]:
    """Rights of a level, every area named (the missing ones none)."""
    unknown = sorted(set(rights) - set(AREAS))
    if unknown:
        raise LevelRefused(f"unknown area(s): {', '.join(unknown)}")
    for area, right in rights.items():
        if right not in RIGHTS:
            raise LevelRefused(f"area {area}: right {right!r} is not one of none, read, change")
    return {area: rights.get(area, NONE) for area in AREAS}


def method_needs(method: str) -> str:
    return READ if method in ("GET", "HEAD") else CHANGE


def allows(rights: Mapping[str, str], area: str, need: str) -> bool:
    have = rights.get(area, NONE)
    return have == CHANGE or (need == READ and have == READ)
