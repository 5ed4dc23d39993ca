"""Hand-built pcap files for the capture tests: SIP over UDP and TCP, IPv4 and IPv6, in the
link types tcpdump writes (Linux cooked v2 for -i any, Ethernet)."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

LINUX_SLL2, ETHERNET = 276, 1


def sip_message(start: str, call_id: str, cseq: str, *, body: str = "", extra: str = "") -> bytes:
    text = (
        f"{start}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        f"From: <sip:201@pbx>;tag=a\r\nTo: <sip:202@pbx>\r\nCall-ID: {call_id}\r\n"
        f"CSeq: {cseq}\r\n{extra}Content-Length: {len(body.encode())}\r\n\r\n{body}"
    )
    return text.encode()


def _ip(source: str, destination: str, protocol: int, payload: bytes) -> bytes:
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    if src.version == 4:
        header = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload), 1, 0, 64, protocol, 0)
        return header + src.packed + dst.packed + payload
    header = struct.pack("!IHBB", 0x60000000, len(payload), protocol, 64)
    return header + src.packed + dst.packed + payload


def udp(source: str, sport: int, destination: str, dport: int, payload: bytes) -> bytes:
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return _ip(source, destination, 17, segment)


def tcp(source: str, sport: int, destination: str, dport: int, payload: bytes) -> bytes:
    segment = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x18, 65535, 0, 0) + payload
    return _ip(source, destination, 6, segment)


def link(linktype: int, ip: bytes) -> bytes:
    ethertype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    if linktype == ETHERNET:
        return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!H", ethertype) + ip
    # Linux cooked v2: protocol, reserved, interface index, ARPHRD, packet type, address
    return struct.pack("!HHIHBB8s", ethertype, 0, 1, 772, 0, 6, b"\0" * 8) + ip


@dataclass
class PcapWriter:
    linktype: int = LINUX_SLL2
    snaplen: int = 65535

    def __post_init__(self) -> None:
        self.data = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, self.snaplen,
                                          self.linktype))  # fmt: skip

    def add(self, time: float, ip: bytes, *, captured: int | None = None) -> PcapWriter:
        frame = link(self.linktype, ip)
        seconds, micros = int(time), round((time - int(time)) * 1e6)
        length = len(frame) if captured is None else captured
        self.data += struct.pack("<IIII", seconds, micros, length, len(frame)) + frame
        return self

    def bytes(self) -> bytes:
        return bytes(self.data)


PHONE, PBX = ("10.0.0.1", 5070), ("10.0.0.2", 5060)


def call_flow(
    writer: PcapWriter, call_id: str = "call-1@10.0.0.1", at: float = 1000.0
) -> PcapWriter:
    """INVITE, 100, 180, 200, ACK, BYE, 200 between a phone and the PBX (UDP over IPv4)."""
    steps = [
        (PHONE, PBX, "INVITE sip:202@pbx SIP/2.0", "1 INVITE", 0.0),
        (PBX, PHONE, "SIP/2.0 100 Trying", "1 INVITE", 0.01),
        (PBX, PHONE, "SIP/2.0 180 Ringing", "1 INVITE", 0.5),
        (PBX, PHONE, "SIP/2.0 200 OK", "1 INVITE", 2.0),
        (PHONE, PBX, "ACK sip:202@pbx SIP/2.0", "1 ACK", 2.01),
        (PHONE, PBX, "BYE sip:202@pbx SIP/2.0", "2 BYE", 12.0),
        (PBX, PHONE, "SIP/2.0 200 OK", "2 BYE", 12.01),
    ]
    for source, destination, start, cseq, offset in steps:
        writer.add(at + offset, udp(*source, *destination, sip_message(start, call_id, cseq)))
    return writer
