"""The time settings and the files they become.

The root filesystem is read-only: the image links /etc/localtime to data_dir/etc/localtime
(a link the agent points at the running system's zone file) and systemd-timesyncd's drop-in
/etc/systemd/timesyncd.conf.d/orpheus.conf to the file the agent writes on the data partition
(both root slots share them, an update keeps them).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orpheus import files

DEFAULT_TIMEZONE = "UTC"
MAX_NTP_SERVERS = 8
# A zone name is one to three plain path parts (America/Argentina/Buenos_Aires, Etc/GMT+1):
# no '.' at all, so no '..' and no file name with an extension; no leading '/'.
ZONE_PATTERN = r"^[A-Za-z0-9_+-]{1,40}(/[A-Za-z0-9_+-]{1,40}){0,2}$"
# A host name of DNS labels, or an address; nothing that could end timesyncd's NTP= line.
HOST_PATTERN = r"^[A-Za-z0-9:.-]{1,253}$"
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# The copies of the zones for other conventions, not zones of their own.
_NOT_ZONES = ("posix", "right")
_TZIF_MAGIC = b"TZif"


class TimeInvalid(ValueError):
    """A zone or server that cannot be used; the message is for the user."""


@dataclass(frozen=True)
class TimeSettings:
    timezone: str = DEFAULT_TIMEZONE
    ntp_servers: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"timezone": self.timezone, "ntp_servers": list(self.ntp_servers)}


def zone_file(name: object, zoneinfo: Path) -> Path:
    """The zone file of name under zoneinfo, or TimeInvalid: only a plain existing zone file
    (a link inside zoneinfo is followed, as Debian's old names are links)."""
    if not isinstance(name, str) or not re.fullmatch(ZONE_PATTERN, name):
        raise TimeInvalid(f"not a time zone name: {str(name)[:60]!r} (e.g. Europe/Rome)")
    if name.split("/")[0] in _NOT_ZONES:
        raise TimeInvalid(f"not a time zone: {name}")
    path = zoneinfo / name
    try:
        inside = path.resolve(strict=True).is_relative_to(zoneinfo.resolve())
        with path.open("rb") as zone:
            is_zone = path.is_file() and zone.read(4) == _TZIF_MAGIC
    except OSError:
        inside = is_zone = False
    if not (inside and is_zone):
        raise TimeInvalid(f"no such time zone on this unit: {name}")
    return path


@functools.lru_cache(maxsize=4)
def _zones_in(zoneinfo: Path, _signature: float) -> tuple[str, ...]:
    names = []
    for path in zoneinfo.rglob("*"):
        name = path.relative_to(zoneinfo).as_posix()
        if not re.fullmatch(ZONE_PATTERN, name) or name.split("/")[0] in _NOT_ZONES:
            continue
        try:
            zone_file(name, zoneinfo)
        except TimeInvalid:
            continue
        names.append(name)
    return tuple(sorted(names))


def zones(zoneinfo: Path) -> tuple[str, ...]:
    """Every zone name the unit has (for the wizard's list); walked once per tzdata."""
    try:
        signature = zoneinfo.stat().st_mtime
    except OSError:
        return ()
    return _zones_in(zoneinfo, signature)


def ntp_server(value: object) -> str:
    """An IPv4 or IPv6 address or a DNS host name, as timesyncd's NTP= takes it."""
    text = str(value)
    if not re.fullmatch(HOST_PATTERN, text):
        raise TimeInvalid(f"not an NTP server: {text[:60]!r} (a host name or an address)")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return _host_name(text)
    if address.is_multicast or address.is_unspecified:
        raise TimeInvalid(f"{address} cannot be an NTP server")
    return str(address)


def _host_name(text: str) -> str:
    labels = text.removesuffix(".").split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise TimeInvalid(f"not an NTP server: {text[:60]!r} (a host name or an address)")
    return text.lower()


def from_dict(raw: dict[str, Any], zoneinfo: Path) -> TimeSettings:
    """Settings from a request body (already of the declared shape) or the saved file."""
    timezone = raw.get("timezone", DEFAULT_TIMEZONE)
    zone_file(timezone, zoneinfo)
    servers = tuple(ntp_server(value) for value in raw.get("ntp_servers", []))
    if len(servers) > MAX_NTP_SERVERS:
        raise TimeInvalid(f"at most {MAX_NTP_SERVERS} NTP servers")
    if len(set(servers)) != len(servers):
        raise TimeInvalid("an NTP server is named twice")
    return TimeSettings(str(timezone), servers)


def render(settings: TimeSettings) -> str:
    """timesyncd's drop-in; no server of its own: none asked but DHCP's (the image empties
    FallbackNTP=, 00-no-fallback.conf)."""
    lines = ["# Written by the Orpheus agent (PUT /api/v1/time): changes here are replaced.",
             "[Time]"]  # fmt: skip
    if settings.ntp_servers:
        lines.append("NTP=" + " ".join(settings.ntp_servers))
    return "\n".join(lines) + "\n"


class TimeStore:
    """The settings (state_dir/time.json), the localtime link and timesyncd's file."""

    def __init__(self, state_file: Path, etc_dir: Path, zoneinfo: Path) -> None:
        self.state_file = state_file
        self.localtime = etc_dir / "localtime"
        self.timesyncd_file = etc_dir / "systemd/timesyncd.conf.d/orpheus.conf"
        self.zoneinfo = zoneinfo

    def load(self) -> TimeSettings:
        try:
            return from_dict(json.loads(self.state_file.read_text()), self.zoneinfo)
        except FileNotFoundError:
            return TimeSettings()
        except (ValueError, TypeError, AttributeError):  # damaged by hand, or a zone removed
            return TimeSettings()

    def save(self, settings: TimeSettings) -> None:
        self._link_zone(settings.timezone)
        # timesyncd reads the file as its own user: world-readable, like the image's.
        self.timesyncd_file.parent.mkdir(parents=True, exist_ok=True)
        files.write_file(self.timesyncd_file, render(settings), mode=0o644)
        text = json.dumps(settings.as_dict(), indent=1, sort_keys=True) + "\n"
        files.write_file(self.state_file, text, mode=0o600)

    def _link_zone(self, timezone: str) -> None:
        # Replaced atomically: a process reading /etc/localtime sees the old zone or the new.
        target = zone_file(timezone, self.zoneinfo)
        self.localtime.parent.mkdir(parents=True, exist_ok=True)
        staged = self.localtime.with_name(".localtime.new")
        staged.unlink(missing_ok=True)
        staged.symlink_to(target)
        staged.replace(self.localtime)

    def ensure_written(self) -> None:
        """At start: the files the image's links point at exist and say the saved settings
        (a dangling /etc/localtime is UTC to glibc but warned about by systemd)."""
        settings = self.load()
        target = self.zoneinfo / settings.timezone
        linked = self.localtime.is_symlink() and self.localtime.readlink() == target
        rendered = self.timesyncd_file.exists() and (
            self.timesyncd_file.read_text() == render(settings)
        )
        if not (linked and rendered):
            self.save(settings)
