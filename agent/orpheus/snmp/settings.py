"""SNMP settings: communities, v3 users, contact, location, notification receivers.

Stored as JSON in the agent's state directory, mode 0600 (communities and v3 secrets are
not world-readable). Every value is checked before anything is written, so a bad request
leaves the stored and running configuration as it was.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from orpheus import files

NAME = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
SECRET = re.compile(r"^[\x21-\x7e]{8,64}$")
HOST = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")
MIN_SECRET_LENGTH = 8
MASK = "********"


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Community:
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class User:
    name: str
    auth_password: str
    priv_password: str


@dataclass(frozen=True)
class Receiver:
    host: str
    port: int = 162
    community: str | None = None  # v2c traps
    user: str | None = None  # v3 informs with that user's credentials


@dataclass(frozen=True)
class SnmpSettings:
    contact: str = ""
    location: str = ""
    communities: tuple[Community, ...] = ()
    users: tuple[User, ...] = ()
    receivers: tuple[Receiver, ...] = ()
    # Notifications' thresholds.
    storage_full_percent: int = 90
    license_warning_days: int = 30
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def public(self) -> dict[str, Any]:
        """The settings as the API shows them: v3 secrets masked."""
        data = asdict(self)
        data.pop("extra")
        for user in data["users"]:
            user["auth_password"] = user["priv_password"] = MASK
        return data


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 255 or not value.isprintable():
        raise SettingsError(f"{what} must be printable text of at most 255 characters")
    if any(char in value for char in '"\\[];#'):
        raise SettingsError(f"{what} must not contain quotes, backslashes, [, ], ; or #")
    return value


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise SettingsError(
            f"invalid {what} {value!r}: use 1 to 32 letters, digits, '.', '_' or '-'"
        )
    return value


def _network(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError as error:
        raise SettingsError(f"invalid source network {value!r}: {error}") from error


def _secret(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{what} must be at least {MIN_SECRET_LENGTH} characters long")
    if not SECRET.fullmatch(value):
        raise SettingsError(f"{what} must be 8 to 64 printable characters without spaces")
    return value


def _community(raw: Any) -> Community:
    if not isinstance(raw, dict):
        raise SettingsError("each community must be an object with name and sources")
    name = _name(raw.get("name"), "community name")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise SettingsError(f"community {name!r} needs at least one source network")
    return Community(name, tuple(_network(source) for source in sources))


def _user(raw: Any, previous: dict[str, User]) -> User:
    if not isinstance(raw, dict):
        raise SettingsError("each v3 user must be an object with name and passwords")
    name = _name(raw.get("name"), "v3 user name")
    kept = previous.get(name)
    auth, priv = raw.get("auth_password"), raw.get("priv_password")
    if kept and auth in (None, MASK):
        auth = kept.auth_password
    if kept and priv in (None, MASK):
        priv = kept.priv_password
    if MASK in (auth, priv):  # the mask stands for a stored password; a new user has none
        raise SettingsError(f"v3 user {name!r} is new: give its passwords, not the mask")
    return User(
        name,
        _secret(auth, f"auth password of {name!r}"),
        _secret(priv, f"privacy password of {name!r}"),
    )


def _receiver(raw: Any, users: tuple[User, ...]) -> Receiver:
    if not isinstance(raw, dict) or not HOST.fullmatch(str(raw.get("host", ""))):
        raise SettingsError("each receiver needs a host (address or name)")
    port = raw.get("port", 162)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise SettingsError(f"invalid receiver port {port!r}")
    community, user = raw.get("community"), raw.get("user")
    if (community is None) == (user is None):
        raise SettingsError("a receiver needs either a community (v2c) or a v3 user, not both")
    if community is not None:
        _name(community, "receiver community")
    if user is not None and user not in {u.name for u in users}:
        raise SettingsError(f"receiver user {user!r} is not a configured v3 user")
    return Receiver(str(raw["host"]), port, community, user)


def _bounded(value: Any, what: str, low: int, high: int) -> int:
    if not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"{what} must be a whole number from {low} to {high}")
    return value


def merge(current: SnmpSettings, changes: dict[str, Any]) -> SnmpSettings:
    """current with the given keys replaced; each list replaces the whole list."""
    known = {"contact", "location", "communities", "users", "receivers"}
    known |= {"storage_full_percent", "license_warning_days"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SettingsError(f"unknown SNMP setting(s): {', '.join(unknown)}")
    updated = current
    if "contact" in changes:
        updated = replace(updated, contact=_text(changes["contact"], "contact"))
    if "location" in changes:
        updated = replace(updated, location=_text(changes["location"], "location"))
    if "communities" in changes:
        raw = _list(changes["communities"], "communities")
        updated = replace(updated, communities=tuple(map(_community, raw)))
    if "users" in changes:
        previous = {user.name: user for user in current.users}
        raw = _list(changes["users"], "users")
        updated = replace(updated, users=tuple(_user(item, previous) for item in raw))
    if "receivers" in changes or "users" in changes:
        raw = changes.get("receivers", [asdict(r) for r in updated.receivers])
        receivers = tuple(_receiver(item, updated.users) for item in _list(raw, "receivers"))
        updated = replace(updated, receivers=receivers)
    if "storage_full_percent" in changes:
        value = _bounded(changes["storage_full_percent"], "storage_full_percent", 1, 100)
        updated = replace(updated, storage_full_percent=value)
    if "license_warning_days" in changes:
        value = _bounded(changes["license_warning_days"], "license_warning_days", 1, 365)
        updated = replace(updated, license_warning_days=value)
    _unique([c.name for c in updated.communities], "community")
    _unique([u.name for u in updated.users], "v3 user")
    return updated


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise SettingsError(f"{what} must be a list")
    return value


def _unique(names: list[str], what: str) -> None:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SettingsError(f"{what} {duplicates[0]!r} is given twice")


def load(path: Path) -> SnmpSettings:
    if not path.exists():
        return SnmpSettings()
    raw = json.loads(path.read_text())
    return merge(SnmpSettings(), raw)


def save(path: Path, settings: SnmpSettings) -> None:
    """Root-only (0600): it holds communities and v3 passwords."""
    data = asdict(settings)
    data.pop("extra")
    files.write_file(path, json.dumps(data, indent=2), mode=0o600)
