"""A bounded reader of classic pcap files (what tcpdump -w writes), and the ring's files
merged into one pcap stream.

Every length on the wire or in the file is hostile: a record longer than the file's snap
length or MAX_RECORD is the end of what is read (not an allocation of that size), a
truncated record or header ends the file quietly, and at most max_records are read.
Link types: Linux cooked v1/v2 (tcpdump -i any), Ethernet, raw IP and BSD loopback.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GLOBAL_HEADER = 24
RECORD_HEADER = 16
MAX_RECORD = 262_144  # tcpdump's own largest snap length
MAX_RECORDS = 200_000
_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_IPV4, LINKTYPE_IPV6 = 113, 276, 228, 229
ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN = 0x0800, 0x86DD, 0x8100
PROTO_TCP, PROTO_UDP = 6, 17


class PcapInvalid(ValueError):
    """Not a pcap file this reader knows; one line."""


@dataclass(frozen=True)
class Header:
    endian: str
    tick: float  # seconds per unit of the sub-second field
    snaplen: int
    linktype: int


@dataclass(frozen=True)
class Packet:
    """A UDP or TCP segment's payload with its addresses (a string per address)."""

    time: float
    transport: str  # "udp" or "tcp"
    source: str
    source_port: int
    destination: str
    destination_port: int
    payload: bytes


def read_header(stream: BinaryIO) -> Header:
    raw = stream.read(GLOBAL_HEADER)
    if len(raw) < GLOBAL_HEADER or raw[:4] not in _MAGICS:
        raise PcapInvalid("not a pcap file (no pcap header)")
    endian, tick = _MAGICS[raw[:4]]
    _major, _minor, _zone, _sigfigs, snaplen, linktype = struct.unpack(endian + "HHiIII", raw[4:])
    return Header(endian, tick, snaplen, linktype & 0x0FFFFFFF)


def records(stream: BinaryIO, max_records: int = MAX_RECORDS) -> Iterator[tuple[float, bytes]]:
    """(time, captured bytes) of each record, within the bounds above."""
    header = read_header(stream)
    limit = min(header.snaplen or MAX_RECORD, MAX_RECORD)
    for _ in range(max_records):
        raw = stream.read(RECORD_HEADER)
        if len(raw) < RECORD_HEADER:
            return
        seconds, fraction, captured, _original = struct.unpack(header.endian + "IIII", raw)
        if captured > limit:  # a bogus length: nothing after it can be trusted
            return
        data = stream.read(captured)
        if len(data) < captured:
            return
        yield seconds + fraction * header.tick, data


def packets(stream: BinaryIO, max_records: int = MAX_RECORDS) -> Iterator[Packet]:
    """The UDP and TCP payloads of a pcap stream, IPv4 and IPv6."""
    position = stream.tell()
    linktype = read_header(stream).linktype
    stream.seek(position)
    for time, data in records(stream, max_records):
        network = _network_layer(linktype, data)
        if network is not None:
            packet = _transport(time, *network)
            if packet is not None:
                yield packet


# linktype -> (offset of the protocol field, its length, offset of the network header)
_LINK_OFFSETS = {
    LINKTYPE_ETHERNET: (12, 2, 14),
    LINKTYPE_LINUX_SLL: (14, 2, 16),
    LINKTYPE_LINUX_SLL2: (0, 2, 20),
}


def _network_layer(linktype: int, data: bytes) -> tuple[int, bytes] | None:
    """(IP version, IP header onwards) of a record, or None for what is not IP."""
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return (data[0] >> 4, data) if data else None
    if linktype == LINKTYPE_NULL:
        return (data[4] >> 4, data[4:]) if len(data) > 4 else None
    if linktype not in _LINK_OFFSETS:
        return None
    field, _length, start = _LINK_OFFSETS[linktype]
    if len(data) < start:
        return None
    ethertype = int.from_bytes(data[field : field + 2], "big")
    if linktype == LINKTYPE_ETHERNET and ethertype == ETHERTYPE_VLAN and len(data) >= 18:
        ethertype, start = int.from_bytes(data[16:18], "big"), 18
    versions = {ETHERTYPE_IPV4: 4, ETHERTYPE_IPV6: 6}
    return (versions[ethertype], data[start:]) if ethertype in versions else None


def _transport(time: float, version: int, ip: bytes) -> Packet | None:
    if version == 4 and len(ip) >= 20:
        header_length = (ip[0] & 0x0F) * 4
        total = int.from_bytes(ip[2:4], "big")
        fragment = int.from_bytes(ip[6:8], "big") & 0x1FFF
        if header_length < 20 or fragment:  # a later fragment has no transport header
            return None
        end = min(len(ip), total) if total >= header_length else len(ip)
        source, destination = _ipv4(ip[12:16]), _ipv4(ip[16:20])
        return _segment(time, ip[9], source, destination, ip[header_length:end])
    if version == 6 and len(ip) >= 40:
        end = min(len(ip), 40 + int.from_bytes(ip[4:6], "big"))
        source, destination = _ipv6(ip[8:24]), _ipv6(ip[24:40])
        # Extension headers are not followed: SIP over IPv6 comes with UDP or TCP next.
        return _segment(time, ip[6], source, destination, ip[40:end])
    return None


def _ipv4(raw: bytes) -> str:
    return str(ipaddress.IPv4Address(raw))


def _ipv6(raw: bytes) -> str:
    return str(ipaddress.IPv6Address(raw))


def _segment(
    time: float, protocol: int, source: str, destination: str, data: bytes
) -> Packet | None:
    if protocol == PROTO_UDP and len(data) >= 8:
        length = int.from_bytes(data[4:6], "big")
        payload = data[8:length] if 8 <= length <= len(data) else data[8:]
        return Packet(time, "udp", source, _port(data, 0), destination, _port(data, 2), payload)
    if protocol == PROTO_TCP and len(data) >= 20:
        offset = (data[12] >> 4) * 4
        if offset < 20 or offset > len(data):
            return None
        payload = data[offset:]
        return Packet(time, "tcp", source, _port(data, 0), destination, _port(data, 2), payload)
    return None


def _port(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "big")


def same_link(files: list[Path]) -> list[Path]:
    """The files whose pcap header (byte order, time unit, link type) is the first one's:
    only those can be merged under one header (the HEP file is written in tcpdump's link
    type for -i any; a tcpdump that wrote another would have it left out, not garbled)."""
    kept: list[Path] = []
    first: bytes | None = None
    for path in files:
        try:
            with path.open("rb") as stream:
                header = stream.read(GLOBAL_HEADER)
        except OSError:
            continue
        if len(header) < GLOBAL_HEADER:
            kept.append(path)  # still empty: merged() skips it
            continue
        shape = header[:4] + header[20:24]
        first = shape if first is None else first
        if shape == first:
            kept.append(path)
    return kept


def merged_length(sizes: Iterable[int]) -> int:
    """The bytes merged() yields for files of these sizes: one header, every file's records."""
    kept = [size for size in sizes if size >= GLOBAL_HEADER]
    return sum(kept) - GLOBAL_HEADER * max(0, len(kept) - 1) if kept else 0


def merged(files: list[Path], sizes: list[int], chunk: int = 64 * 1024) -> Iterator[bytes]:
    """The ring's files (oldest first) as one pcap: one header, then each file's records,
    each file read up to the size it had when the download started (tcpdump may still be
    writing it), so the length announced is the length sent."""
    first = True
    for path, size in zip(files, sizes, strict=True):
        if size < GLOBAL_HEADER:
            continue
        with path.open("rb") as stream:
            header = stream.read(GLOBAL_HEADER)
            if first:
                yield header
                first = False
            left = size - GLOBAL_HEADER
            while left > 0:
                data = stream.read(min(chunk, left))
                if not data:  # shrank (tcpdump reopened it round the ring): the client
                    return  # sees fewer bytes than announced, a cut download, not junk
                left -= len(data)
                yield data
