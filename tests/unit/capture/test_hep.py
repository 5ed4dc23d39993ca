"""The HEPv3 parser and receiver: valid datagrams over IPv4 and IPv6 become SIP messages with
their addresses, ports and time, written as UDP/IP packets the capture's pcap reader and the
dialog listing read back; truncated chunks, wrong lengths and garbage are dropped and
counted, never raised."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orpheus.capture import hep, pcap, sip
from orpheus.capture.analysis import read_dialogs
from orpheus.capture.filters import CaptureFilter
from orpheus.capture.hep_receiver import HEP_FILE, HepReceiver, file_header, record
from tests.unit.capture.pcap_files import PcapWriter, sip_message, tcp

SIP = CaptureFilter("sip")
INVITE = sip_message("INVITE sip:202@pbx SIP/2.0", "tls-call@pbx", "1 INVITE")


def chunk(kind: int, value: bytes, vendor: int = 0, length: int | None = None) -> bytes:
    size = 6 + len(value) if length is None else length
    return struct.pack("!HHH", vendor, kind, size) + value


def datagram(*chunks: bytes, total: int | None = None) -> bytes:
    body = b"".join(chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body) if total is None else total) + body


def sip_chunks(
    source: str = "192.0.2.10",
    destination: str = "192.0.2.1",
    payload: bytes = INVITE,
    seconds: int = 1_700_000_000,
    micro: int = 250_000,
    protocol: int = 6,
) -> list[bytes]:
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    v4 = src.version == 4
    return [
        chunk(hep.FAMILY, bytes([hep.AF_INET if v4 else hep.AF_INET6])),
        chunk(hep.PROTOCOL, bytes([protocol])),
        chunk(hep.IPV4_SOURCE if v4 else hep.IPV6_SOURCE, src.packed),
        chunk(hep.IPV4_DESTINATION if v4 else hep.IPV6_DESTINATION, dst.packed),
        chunk(hep.SOURCE_PORT, struct.pack("!H", 40123)),
        chunk(hep.DESTINATION_PORT, struct.pack("!H", 5061)),
        chunk(hep.SECONDS, struct.pack("!I", seconds)),
        chunk(hep.MICROSECONDS, struct.pack("!I", micro)),
        chunk(hep.CAPTURE_TYPE, bytes([hep.CAPTURE_SIP])),
        chunk(12, struct.pack("!I", 2001)),  # capture agent id: read past, not needed
        chunk(hep.PAYLOAD, payload),
    ]


def test_a_hep_datagram_over_ipv4_is_its_sip_message() -> None:
    counters = hep.Counters()
    message = hep.parse(datagram(*sip_chunks()), counters)
    assert message == hep.HepMessage(1_700_000_000.25, "192.0.2.10", 40123, "192.0.2.1", 5061,
                                     INVITE, protocol=6)  # fmt: skip
    assert counters == hep.Counters()


def test_a_hep_datagram_over_ipv6_is_its_sip_message() -> None:
    message = hep.parse(datagram(*sip_chunks("2001:db8::10", "2001:db8::1")))
    assert message is not None
    assert (message.source, message.destination) == ("2001:db8::10", "2001:db8::1")
    assert message.payload == INVITE


@pytest.mark.parametrize("source", ["192.0.2.10", "2001:db8::10"])
def test_the_reconstructed_packet_reads_back_as_the_sip_message(source: str) -> None:
    destination = "192.0.2.1" if "." in source else "2001:db8::1"
    message = hep.parse(datagram(*sip_chunks(source, destination)))
    assert message is not None
    packet = hep.udp_packet(message)
    version = 4 if "." in source else 6
    assert packet[0] >> 4 == version
    read = pcap._transport(message.time, version, packet)
    assert read == pcap.Packet(message.time, "udp", source, 40123, destination, 5061, INVITE)
    # The UDP checksum is right: summed with the pseudo header it gives all ones.
    assert _ones_complement_sum(packet, version) == 0xFFFF
    (found,) = sip.messages(read)
    assert found.call_id == "tls-call@pbx" and found.method == "INVITE"


def _ones_complement_sum(packet: bytes, version: int) -> int:
    header = 20 if version == 4 else 40
    src, dst = (packet[12:16], packet[16:20]) if version == 4 else (packet[8:24], packet[24:40])
    udp = packet[header:]
    pseudo = src + dst + struct.pack("!HH", 17, len(udp))
    data = pseudo + udp + (b"\0" if len(udp) % 2 else b"")
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_a_chunk_running_past_the_datagram_ends_the_walk_and_is_counted() -> None:
    counters = hep.Counters()
    chunks = sip_chunks()
    cut = datagram(*chunks)[:-10]  # the payload chunk announces more than is left
    assert hep.parse(cut, counters) is None
    assert counters.malformed_chunks == 1 and counters.rejected == 1


@pytest.mark.parametrize("length", [0, 3, 5])
def test_a_chunk_shorter_than_its_header_is_counted_and_nothing_loops(length: int) -> None:
    counters = hep.Counters()
    bad = chunk(hep.SECONDS, b"", length=length)
    assert hep.parse(datagram(bad, *sip_chunks()), counters) is None
    assert counters.malformed_chunks == 1


def test_a_known_chunk_of_the_wrong_size_is_dropped_and_the_rest_still_read() -> None:
    counters = hep.Counters()
    chunks = sip_chunks()
    chunks.insert(0, chunk(hep.SOURCE_PORT, b"\x01\x02\x03"))  # a port of three bytes
    chunks.insert(0, chunk(hep.SECONDS, b"\x01"))
    message = hep.parse(datagram(*chunks), counters)
    assert message is not None and message.source_port == 40123
    assert counters.malformed_chunks == 2 and counters.rejected == 0


def test_a_total_length_past_the_datagram_is_read_only_as_far_as_there_are_bytes() -> None:
    message = hep.parse(datagram(*sip_chunks(), total=65_535))
    assert message is not None and message.payload == INVITE


def test_a_total_length_shorter_than_the_chunks_cuts_them() -> None:
    counters = hep.Counters()
    assert hep.parse(datagram(*sip_chunks(), total=17), counters) is None
    assert counters.malformed_chunks == 1


@pytest.mark.parametrize(
    "missing", [hep.FAMILY, hep.IPV4_SOURCE, hep.DESTINATION_PORT, hep.PAYLOAD]
)
def test_a_datagram_without_addresses_ports_or_payload_is_no_message(missing: int) -> None:
    chunks = [c for c in sip_chunks() if struct.unpack("!H", c[2:4])[0] != missing]
    counters = hep.Counters()
    assert hep.parse(datagram(*chunks), counters) is None
    assert counters.rejected == 1


def test_other_vendors_chunks_and_other_capture_types_are_not_sip() -> None:
    vendor = [chunk(hep.PAYLOAD, b"not this", vendor=0x0003), *sip_chunks()]
    message = hep.parse(datagram(*vendor))
    assert message is not None and message.payload == INVITE
    rtcp = [c for c in sip_chunks() if struct.unpack("!H", c[2:4])[0] != hep.CAPTURE_TYPE]
    assert hep.parse(datagram(chunk(hep.CAPTURE_TYPE, bytes([5])), *rtcp)) is None


def test_garbage_is_never_a_message_and_never_raises() -> None:
    counters = hep.Counters()
    samples = [b"", b"HEP3", b"HEP2" + bytes(100), b"HEP3\xff\xff" + os.urandom(4000)]
    samples += [os.urandom(size) for size in (1, 6, 60, 600, 65_535)]
    samples += [b"HEP3" + os.urandom(size) for size in range(0, 300, 7)]
    for data in samples:
        assert hep.parse(data, counters) is None
    assert counters.rejected == len(samples)


def test_the_receiver_writes_what_arrives_into_the_attached_captures_file(tmp_path: Path) -> None:
    receiver = HepReceiver(port=0)
    receiver.start()
    try:
        counters = receiver.attach("c1", tmp_path, 1_000_000, SIP)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"garbage", ("127.0.0.1", receiver.port))
            sender.sendto(datagram(*sip_chunks()), ("127.0.0.1", receiver.port))
            _wait(lambda: counters.messages == 1)
        assert counters.rejected == 1
        receiver.detach("c1")
    finally:
        receiver.stop()
    dialogs = read_dialogs([tmp_path / HEP_FILE])
    dialog = dialogs.dialogs["tls-call@pbx"]
    assert dialog.method == "INVITE" and dialog.start == 1_700_000_000.25
    assert dialog.messages[0].source == "192.0.2.10:40123"


def test_a_full_hep_file_counts_what_it_cannot_hold_and_stays_under_its_bound(
    tmp_path: Path,
) -> None:
    receiver = HepReceiver(port=0)
    message = hep.parse(datagram(*sip_chunks()))
    assert message is not None
    limit = len(file_header()) + 3 * len(record(message))
    counters = receiver.attach("c1", tmp_path, limit, SIP)
    for _ in range(5):
        receiver.take(datagram(*sip_chunks()))
    receiver.detach("c1")
    assert (counters.messages, counters.over_limit) == (3, 2)
    assert (tmp_path / HEP_FILE).stat().st_size == limit


def test_nothing_is_written_while_no_capture_is_attached(tmp_path: Path) -> None:
    receiver = HepReceiver(port=0)
    receiver.take(datagram(*sip_chunks()))
    assert not (tmp_path / HEP_FILE).exists()


def _wait(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("capture_filter", "written"),
    [
        (CaptureFilter("host", "192.0.2.10"), True),
        (CaptureFilter("host", "192.0.2.99"), False),
        (CaptureFilter("port", "5061"), True),
        (CaptureFilter("port", "5060"), False),
        (CaptureFilter("rtp"), False),
    ],
)
def test_asterisks_sip_is_held_to_the_captures_filter(
    tmp_path: Path, capture_filter: CaptureFilter, written: bool
) -> None:
    receiver = HepReceiver(port=0)
    counters = receiver.attach("c1", tmp_path, 1_000_000, capture_filter)
    receiver.take(datagram(*sip_chunks()))
    receiver.detach("c1")
    assert counters.messages == (1 if written else 0)
    assert (tmp_path / HEP_FILE).exists() == written


def test_sip_over_udp_is_left_to_tcpdump(tmp_path: Path) -> None:
    receiver = HepReceiver(port=0)
    counters = receiver.attach("c1", tmp_path, 1_000_000, SIP)
    receiver.take(datagram(*sip_chunks(protocol=17)))
    receiver.detach("c1")
    assert (counters.messages, counters.plain) == (0, 1)


def _hep_file(tmp_path: Path, *messages: hep.HepMessage) -> Path:
    path = tmp_path / HEP_FILE
    path.write_bytes(file_header() + b"".join(record(m) for m in messages))
    return path


def test_a_message_both_captured_and_sent_over_hep_counts_once(tmp_path: Path) -> None:
    """SIP over TCP: tcpdump reads it and Asterisk sends its copy (TCP or TLS, it cannot
    say); a TLS message only Asterisk's copy holds is kept, marked as HEP's."""
    at = 1000.0
    over_tcp = sip_message("INVITE sip:202@pbx SIP/2.0", "tcp-call", "1 INVITE")
    ring = tmp_path / "capture.pcap0"
    ring.write_bytes(
        PcapWriter().add(at, tcp("10.0.0.1", 5070, "10.0.0.2", 5060, over_tcp)).bytes()
    )
    copy = hep.HepMessage(at + 0.0004, "10.0.0.1", 5070, "10.0.0.2", 5060, over_tcp, 6)
    over_tls = hep.HepMessage(at + 1, "10.0.0.1", 40000, "10.0.0.2", 5061, INVITE, 6)
    found = read_dialogs([ring, _hep_file(tmp_path, copy, over_tls)])
    tcp_call = found.dialogs["tcp-call"]
    assert [m.transport for m in tcp_call.messages] == ["tcp"]
    tls_call = found.dialogs["tls-call@pbx"]
    assert [(m.transport, m.source) for m in tls_call.messages] == [("hep", "10.0.0.1:40000")]


def test_the_largest_message_a_datagram_holds_reads_back_whole(tmp_path: Path) -> None:
    empty = sip_message("MESSAGE sip:202@pbx SIP/2.0", "large@pbx", "1 MESSAGE")
    room = hep.MAX_PACKET - len(datagram(*sip_chunks("2001:db8::10", "2001:db8::1", empty)))
    body = "x" * (room - 4)  # its Content-Length grows from 1 digit to 5
    large = sip_message("MESSAGE sip:202@pbx SIP/2.0", "large@pbx", "1 MESSAGE", body=body)
    whole = datagram(*sip_chunks("2001:db8::10", "2001:db8::1", large))
    assert len(whole) == hep.MAX_PACKET
    message = hep.parse(whole)
    assert message is not None
    path = _hep_file(tmp_path, message)
    with path.open("rb") as stream:
        (packet,) = pcap.packets(stream)
    assert packet.payload == large
