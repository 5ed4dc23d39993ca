"""An AMI account for third-party software: its name, networks and manager classes, checked.

Names and networks are checked by full-string patterns before anything else looks at them, so
no value can end its line in manager.conf or open a section of its own. The classes come from
a fixed allow-list of Asterisk's manager classes. Read classes only choose which events the
account is sent; write classes decide which actions it may run, and three are never granted
(with `all`): `system` (reloads, module loads, originating any application, shutdown),
`command` (any console command, e.g. a dialplan reload or unload) and `config` (GetConfig and
UpdateConfig: every secret in Asterisk's files, and rewriting the files the agent renders).
Each of them would let a third party undo what the agent configured, the licence's call
limit included. `agi` is left out too: its action runs applications on channels. So are
`originate` (an Originate may name a channel, a trunk too, without passing the dialplan where
the licence's call limit is counted) and `call` (Redirect and Setvar move a channel or its
GROUP out of that count): an admin cannot lift the limit through a third party's account, and
third-party software starts calls with POST /api/v1/calls, which dials through the dialplan.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# An IPv4 address, or a network in CIDR form; manager.conf gets it as address/netmask.
NETWORK = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?$")
# The agent's own account (pbx's AMI_USER) and manager.conf's settings section.
RESERVED_NAMES = frozenset({"general", "orpheus"})
READ_CLASSES = (
    "system", "call", "log", "verbose", "agent", "user", "dtmf", "reporting", "cdr",
    "dialplan", "originate", "cc", "aoc", "security", "message",
)  # fmt: skip
WRITE_CLASSES = ("agent", "user", "dtmf", "reporting", "cdr", "cc", "aoc", "message")
MAX_NETWORKS = 16
MAX_ACCOUNTS = 64
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


class AccountError(ValueError):
    """An account that cannot be stored; one line for the user."""


@dataclass(frozen=True)
class AmiAccount:
    name: str
    secret: str
    permit: tuple[ipaddress.IPv4Network, ...]
    read: tuple[str, ...]
    write: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        """As answers and the audit log show it: no secret."""
        return {
            "name": self.name,
            "permit": [str(network) for network in self.permit],
            "read": list(self.read),
            "write": list(self.write),
        }

    def stored(self) -> dict[str, Any]:
        return {**self.public(), "secret": self.secret}


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise AccountError(
            f"name {name!r}: a lower-case letter, then up to 31 letters, digits, '-' or '_'"
        )
    if name in RESERVED_NAMES:
        raise AccountError(f"name {name!r} is reserved")
    return name


def parse_network(text: str) -> ipaddress.IPv4Network:
    if not NETWORK.fullmatch(text):
        raise AccountError(f"network {text!r}: an IPv4 address or network like 192.0.2.0/24")
    try:
        network = ipaddress.IPv4Network(text)
    except ValueError as error:
        raise AccountError(f"network {text!r}: {error}") from error
    if network.prefixlen == 0:
        raise AccountError(f"network {text!r} would let every address in: name the networks")
    return network


def check_classes(classes: list[str], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    for name in classes:
        if name not in allowed:
            raise AccountError(f"{what} class {name!r}: one of {', '.join(allowed)}")
    return tuple(dict.fromkeys(classes))  # each once, in the order given


def account(
    name: str, secret: str, permit: list[str], read: list[str], write: list[str]
) -> AmiAccount:
    """A checked account; raises AccountError naming the first bad value."""
    if not permit:
        raise AccountError("permit: at least one network")
    if len(permit) > MAX_NETWORKS:
        raise AccountError(f"permit: at most {MAX_NETWORKS} networks")
    networks = tuple(dict.fromkeys(parse_network(text) for text in permit))
    return AmiAccount(
        check_name(name),
        secret,
        networks,
        check_classes(read, READ_CLASSES, "read"),
        check_classes(write, WRITE_CLASSES, "write"),
    )


def from_stored(values: dict[str, Any]) -> AmiAccount:
    return account(
        str(values["name"]),
        str(values["secret"]),
        [str(v) for v in values["permit"]],
        [str(v) for v in values["read"]],
        [str(v) for v in values["write"]],
    )
