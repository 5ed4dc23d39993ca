"""The services an access list can restrict, and the ports that carry each on this unit."""

from __future__ import annotations

from dataclasses import dataclass

from orpheus.config import AgentConfig

SSH_PORT = 22
SIP_PORT = 5060
SIP_TLS_PORT = 5061
RTP_PORTS = (10000, 20000)  # rtp.conf's rtpstart/rtpend (factory Asterisk configuration)
SNMP_PORT = 161
VRRP_PROTOCOL = 112  # keepalived's adverts from the HA peer


@dataclass(frozen=True)
class Ports:
    """What one rule matches: a transport and its ports (first, last), or an IP protocol."""

    protocol: str  # "tcp", "udp" or "vrrp"
    ranges: tuple[tuple[int, int], ...] = ()

    def describe(self) -> str:
        if not self.ranges:
            return self.protocol
        spans = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in self.ranges)
        return f"{self.protocol}/{spans}"


@dataclass(frozen=True)
class Service:
    name: str
    summary: str
    ports: tuple[Ports, ...]


ADMIN = "admin"


def services(config: AgentConfig) -> dict[str, Service]:
    """Every service by name; admin is the agent's API and page (the anti-lock-out's)."""
    table = (
        Service(
            ADMIN,
            "the agent's API and page (HTTP and HTTPS)",
            (Ports("tcp", (*_one(config.http_port), *_one(config.https_port))),),
        ),
        Service("ssh", "SSH", (Ports("tcp", _one(SSH_PORT)),)),
        Service(
            "sip",
            "SIP over UDP, TCP and TLS",
            (Ports("udp", _one(SIP_PORT)), Ports("tcp", (*_one(SIP_PORT), *_one(SIP_TLS_PORT)))),
        ),
        Service("rtp", "RTP media", (Ports("udp", (RTP_PORTS,)),)),
        Service("snmp", "SNMP", (Ports("udp", _one(SNMP_PORT)),)),
        Service("ami", "Asterisk's manager interface", (Ports("tcp", _one(config.ami_port)),)),
        Service(
            "ha",
            "the HA peer: VRRP and the pair's channel",
            (Ports("vrrp"), Ports("tcp", _one(config.ha_sync_port))),
        ),
    )
    return {service.name: service for service in table}


def _one(port: int) -> tuple[tuple[int, int], ...]:
    return ((port, port),)
