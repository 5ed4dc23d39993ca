"""HEPv3 (the Homer encapsulation Asterisk's res_hep sends) read into SIP messages, and each
written back out as the UDP/IP packet it stands for, so a capture holds the signalling of
SIP over TLS that tcpdump sees only encrypted.

Every byte comes from a socket: a datagram is at most MAX_PACKET bytes (the rest is cut by
the kernel, and then its lengths no longer add up), a chunk whose length runs past the
datagram or is below its own header ends the walk, and a chunk of a known type with the
wrong size is dropped and counted. A datagram without addresses, ports or a payload is no
message (None): nothing here raises on what arrives.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

MAGIC = b"HEP3"
HEADER = 6  # magic, total length
CHUNK_HEADER = 6  # vendor, type, length (the header included)
MAX_PACKET = 65_535
MAX_PAYLOAD = MAX_PACKET - 40 - 8  # what a reconstructed UDP/IPv6 packet can carry
# Chunk types of the generic vendor (0), HEPv3 section 4.
FAMILY, PROTOCOL, IPV4_SOURCE, IPV4_DESTINATION, IPV6_SOURCE, IPV6_DESTINATION = 1, 2, 3, 4, 5, 6
SOURCE_PORT, DESTINATION_PORT, SECONDS, MICROSECONDS, CAPTURE_TYPE, PAYLOAD = 7, 8, 9, 10, 11, 15
_SIZES = {
    FAMILY: 1, PROTOCOL: 1, IPV4_SOURCE: 4, IPV4_DESTINATION: 4, IPV6_SOURCE: 16,
    IPV6_DESTINATION: 16, SOURCE_PORT: 2, DESTINATION_PORT: 2, SECONDS: 4, MICROSECONDS: 4,
    CAPTURE_TYPE: 1,
}  # fmt: skip
CAPTURE_SIP = 1
AF_INET, AF_INET6 = 2, 10
PROTO_UDP = 17


@dataclass(frozen=True)
class HepMessage:
    time: float
    source: str
    source_port: int
    destination: str
    destination_port: int
    payload: bytes
    protocol: int = 0  # the original transport's IP protocol: 17 UDP, 6 TCP (or TLS)


@dataclass
class Counters:
    """What the receiver took and what it dropped, for the capture's message."""

    messages: int = 0
    malformed_chunks: int = 0
    rejected: int = 0  # datagrams that were no SIP message
    over_limit: int = 0  # messages a full HEP file had no room for
    plain: int = 0  # SIP over UDP: tcpdump's packets hold it already

    def add_drops(self, other: Counters) -> None:
        """What one datagram's parse dropped, counted here too."""
        self.malformed_chunks += other.malformed_chunks
        self.rejected += other.rejected


@dataclass
class _Chunks:
    values: dict[int, bytes] = field(default_factory=dict)
    malformed: int = 0


def parse(data: bytes, counters: Counters | None = None) -> HepMessage | None:
    """The SIP message a HEPv3 datagram carries, or None (counted in counters)."""
    counters = counters if counters is not None else Counters()
    chunks = _chunks(data[:MAX_PACKET])
    counters.malformed_chunks += chunks.malformed
    message = _message(chunks.values)
    if message is None:
        counters.rejected += 1
    return message


def _chunks(data: bytes) -> _Chunks:
    found = _Chunks()
    if len(data) < HEADER or data[:4] != MAGIC:
        return found
    end = min(len(data), int.from_bytes(data[4:6], "big"))
    at = HEADER
    while at + CHUNK_HEADER <= end:
        vendor, kind, length = struct.unpack_from("!HHH", data, at)
        if length < CHUNK_HEADER or at + length > end:
            found.malformed += 1  # nothing after a wrong length can be placed
            break
        value = data[at + CHUNK_HEADER : at + length]
        at += length
        if vendor != 0 or kind in found.values:
            continue  # another vendor's chunk, or a repeat: the first one counts
        if kind in _SIZES and len(value) != _SIZES[kind]:
            found.malformed += 1
            continue
        found.values[kind] = value
    else:
        if at < end:  # a tail too short for a chunk's header
            found.malformed += 1
    return found


def _message(values: dict[int, bytes]) -> HepMessage | None:
    if values.get(CAPTURE_TYPE, bytes([CAPTURE_SIP]))[0] != CAPTURE_SIP:
        return None
    family = values.get(FAMILY, b"")
    names = {bytes([AF_INET]): (IPV4_SOURCE, IPV4_DESTINATION),
             bytes([AF_INET6]): (IPV6_SOURCE, IPV6_DESTINATION)}  # fmt: skip
    if family not in names:
        return None
    source, destination = (values.get(kind) for kind in names[family])
    ports = values.get(SOURCE_PORT), values.get(DESTINATION_PORT)
    payload = values.get(PAYLOAD, b"")
    if source is None or destination is None or None in ports or not payload:
        return None
    if len(payload) > MAX_PAYLOAD:
        return None
    seconds = int.from_bytes(values.get(SECONDS, b"\0" * 4), "big")
    micro = int.from_bytes(values.get(MICROSECONDS, b"\0" * 4), "big")
    return HepMessage(
        time=seconds + min(micro, 999_999) / 1e6,
        source=str(ipaddress.ip_address(source)),
        source_port=int.from_bytes(ports[0] or b"", "big"),
        destination=str(ipaddress.ip_address(destination)),
        destination_port=int.from_bytes(ports[1] or b"", "big"),
        payload=payload,
        protocol=values.get(PROTOCOL, b"\0")[0],
    )


def udp_packet(message: HepMessage) -> bytes:
    """The message as the UDP/IP packet (IPv4 or IPv6) it would have been on the wire."""
    source = ipaddress.ip_address(message.source)
    destination = ipaddress.ip_address(message.destination)
    length = 8 + len(message.payload)
    if source.version == 4:
        header = struct.pack("!BBHHHBBH", 0x45, 0, 20 + length, 0, 0x4000, 64, 17, 0)
        header = header[:10] + _checksum(header + source.packed + destination.packed)
        ip = header + source.packed + destination.packed
        pseudo = source.packed + destination.packed + struct.pack("!BBH", 0, 17, length)
    else:
        ip = struct.pack("!IHBB", 0x60000000, length, 17, 64) + source.packed + destination.packed
        pseudo = source.packed + destination.packed + struct.pack("!IxxxB", length, 17)
    udp = struct.pack("!HHHH", message.source_port, message.destination_port, length, 0)
    checksum = _checksum(pseudo + udp + message.payload)
    # 0 means "none" in UDP over IPv4 and is forbidden over IPv6: all ones stands for it.
    checksum = checksum if checksum != b"\0\0" else b"\xff\xff"
    return ip + udp[:6] + checksum + message.payload


def _checksum(data: bytes) -> bytes:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack("!H", ~total & 0xFFFF)
