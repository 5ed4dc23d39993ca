"""The witness: an address (the default gateway unless set) pinged to tell "the peer is gone"
from "this unit is cut off". ICMP echo over a raw socket (the agent runs as root)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


def ping(address: str, timeout: float = 0.5) -> bool:
    """True when address answered one ICMP echo within timeout."""
    ident = os.getpid() & 0xFFFF
    sequence = int(time.monotonic() * 1000) & 0xFFFF
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, sequence)
    payload = b"orpheus-ha-witness"
    packet = (
        struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, _checksum(header + payload), ident, sequence)
        + payload
    )
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    except PermissionError:
        return False
    with contextlib.closing(sock):
        try:
            sock.sendto(packet, (address, 0))
        except OSError:
            return False
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                return False
            data, source = sock.recvfrom(1024)
            header_length = (data[0] & 0x0F) * 4
            kind, _, _, got_ident, got_sequence = struct.unpack(
                "!BBHHH", data[header_length : header_length + 8]
            )
            if (
                source[0] == address
                and kind == ICMP_ECHO_REPLY
                and (got_ident, got_sequence) == (ident, sequence)
            ):
                return True
    return False
