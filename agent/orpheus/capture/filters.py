"""A capture's filter: a validated structure (kind + value), never a string from the client.

The agent alone turns it into tcpdump's filter tokens, each a separate argument: an address
must parse as an IP address and a port as an integer 1-65535, so "port 5060 or 1=1", "; rm"
or a newline cannot reach tcpdump's expression parser.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Literal

from orpheus.firewall.services import RTP_PORTS

Kind = Literal["sip", "rtp", "host", "port"]
KINDS: tuple[Kind, ...] = ("sip", "rtp", "host", "port")
SIP_PORTS = (5060, 5061)  # UDP/TCP and TLS (the TLS payload stays unreadable)


class FilterInvalid(ValueError):
    """A filter that is not one of the four shapes; one line for the client."""


@dataclass(frozen=True)
class CaptureFilter:
    kind: Kind
    value: str = ""  # the canonical address or port for host/port; empty otherwise

    @classmethod
    def parse(cls, raw: Any) -> CaptureFilter:
        """From the request's {"kind": ..., "value": ...} (None: everything SIP)."""
        if raw is None:
            return cls("sip")
        if not isinstance(raw, dict) or set(raw) - {"kind", "value"}:
            raise FilterInvalid('filter must be {"kind": sip|rtp|host|port, "value": ...}')
        kind, value = raw.get("kind"), raw.get("value")
        if kind in ("sip", "rtp"):
            if value not in (None, ""):
                raise FilterInvalid(f"filter {kind} takes no value")
            return cls(kind)
        if kind == "host":
            return cls("host", _address(value))
        if kind == "port":
            return cls("port", str(_port(value)))
        raise FilterInvalid("filter kind must be one of sip, rtp, host, port")

    def tokens(self) -> list[str]:
        """tcpdump's filter expression, one token per argument."""
        if self.kind == "sip":
            return ["port", str(SIP_PORTS[0]), "or", "port", str(SIP_PORTS[1])]
        if self.kind == "rtp":
            return ["udp", "portrange", f"{RTP_PORTS[0]}-{RTP_PORTS[1]}"]
        if self.kind == "host":
            return ["host", self.value]
        return ["port", self.value]

    def admits(self, addresses: tuple[str, str], ports: tuple[int, int]) -> bool:
        """Whether the filter takes a SIP message between these (canonical) addresses and
        ports, as tcpdump's expression would take its packet: Asterisk's decrypted SIP
        (HEP) is held to the capture's filter too. sip takes every one (Asterisk's own end
        is 5060 or 5061, or a trunk's port, which the filter means too); rtp none."""
        if self.kind == "sip":
            return True
        if self.kind == "host":
            return self.value in addresses
        if self.kind == "port":
            return int(self.value) in ports
        return False

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}

    def describe(self) -> str:
        return f"{self.kind} {self.value}".strip()


def _address(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise FilterInvalid("filter host needs an IP address as its value")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as error:
        raise FilterInvalid(f"filter host: {value!r} is not an IP address") from error


def _port(value: Any) -> int:
    # A string of digits is taken too (the CLI's "port 5060"); bool is not an int here.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 5:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise FilterInvalid("filter port needs an integer 1-65535 as its value")
    return value
