"""The bounded pcap reader and SIP parser on hand-built files."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

from orpheus.capture import pcap, sip, tcpdump
from orpheus.capture.analysis import read_dialogs
from orpheus.capture.hep_receiver import file_header
from tests.unit.capture.pcap_files import ETHERNET, PBX, PHONE, PcapWriter, call_flow, tcp, udp
from tests.unit.capture.pcap_files import sip_message as sip_text


def _messages(data: bytes) -> list[sip.SipMessage]:
    return [m for p in pcap.packets(io.BytesIO(data)) for m in sip.messages(p)]


def test_a_call_flow_is_read_in_order() -> None:
    found = _messages(call_flow(PcapWriter()).bytes())
    assert [m.label for m in found] == [
        "INVITE", "100 Trying", "180 Ringing", "200 OK", "ACK", "BYE", "200 OK",
    ]  # fmt: skip
    assert found[0].source == "10.0.0.1:5070" and found[0].destination == "10.0.0.2:5060"
    assert found[3].method == "INVITE" and found[3].status == 200
    assert found[0].call_id == "call-1@10.0.0.1"


def test_ethernet_ipv6_and_tcp_with_two_messages_in_a_segment() -> None:
    first = sip_text("OPTIONS sip:pbx SIP/2.0", "v6-call", "1 OPTIONS", body="x=1")
    second = sip_text("SIP/2.0 200 OK", "v6-call", "1 OPTIONS")
    writer = PcapWriter(ETHERNET)
    writer.add(5.0, tcp("2001:db8::1", 5060, "2001:db8::2", 5060, first + second))
    found = _messages(writer.bytes())
    assert [m.label for m in found] == ["OPTIONS", "200 OK"]
    assert found[0].source == "[2001:db8::1]:5060" and found[0].transport == "tcp"


def test_compact_headers_and_hostile_values() -> None:
    text = (
        "INVITE sip:x SIP/2.0\r\ni: compact-id\r\nf: <sip:a>\x00\x1b[31m\r\n"
        "t: " + "B" * 5000 + "\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"
    )  # fmt: skip
    writer = PcapWriter().add(1.0, udp(*PHONE, *PBX, text.encode()))
    (message,) = _messages(writer.bytes())
    assert message.call_id == "compact-id"
    assert "\x00" not in message.from_ and "\x1b" not in message.from_
    assert len(message.to) == sip.MAX_VALUE


def test_a_truncated_file_gives_what_came_before_the_cut() -> None:
    data = call_flow(PcapWriter()).bytes()
    assert 0 < len(_messages(data[:-30])) < 7
    assert _messages(data[: pcap.GLOBAL_HEADER + 5]) == []


def test_a_huge_bogus_record_length_ends_the_file_without_reading_it() -> None:
    writer = call_flow(PcapWriter())
    writer.data += struct.pack("<IIII", 2000, 0, 0xFFFFFFF0, 0xFFFFFFF0) + b"junk"
    call_flow(writer, "after-the-bogus-record", at=3000.0)
    found = _messages(writer.bytes())
    assert len(found) == 7  # only the first call: nothing after the bogus length is trusted
    assert all(m.call_id == "call-1@10.0.0.1" for m in found)


def test_a_record_longer_than_the_snap_length_is_not_trusted() -> None:
    writer = PcapWriter(snaplen=100)
    writer.add(1.0, udp(*PHONE, *PBX, sip_text("INVITE sip:x SIP/2.0", "c", "1 INVITE")))
    assert _messages(writer.bytes()) == []


def test_not_a_pcap_is_one_error() -> None:
    with pytest.raises(pcap.PcapInvalid):
        list(pcap.packets(io.BytesIO(b"GIF89a" + b"\0" * 40)))


def test_the_record_bound_is_kept() -> None:
    data = io.BytesIO(call_flow(PcapWriter()).bytes())
    assert len(list(pcap.packets(data, max_records=3))) == 3


def test_the_ring_files_are_tcpdumps_names_oldest_first(tmp_path: Path) -> None:
    """tcpdump -W 1 writes FILE itself, -W 4 FILE0 to FILE3; nothing else in the directory."""
    for index, name in enumerate(("capture.pcap2", "capture.pcap", "capture.pcap0")):
        path = tmp_path / name
        path.write_bytes(b"")
        os.utime(path, ns=(10**9 * (index + 1), 10**9 * (index + 1)))
    for other in ("capture.json", "tcpdump.log", "capture.pcap.part", "capture.pcap٣"):
        (tmp_path / other).write_bytes(b"")
    names = [path.name for path in tcpdump.ring_files(tmp_path)]
    assert names == ["capture.pcap2", "capture.pcap", "capture.pcap0"]


def test_a_file_that_shrank_mid_download_is_a_cut_not_junk(tmp_path: Path) -> None:
    path = tmp_path / "capture.pcap0"
    path.write_bytes(call_flow(PcapWriter()).bytes())
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:100])  # tcpdump reopened it round the ring
    sent = b"".join(pcap.merged([path], [size]))
    assert len(sent) == 100 < pcap.merged_length([size])


def test_ring_files_merge_into_one_readable_pcap(tmp_path: Path) -> None:
    first, second = tmp_path / "capture.pcap0", tmp_path / "capture.pcap1"
    first.write_bytes(call_flow(PcapWriter(), "one").bytes())
    second.write_bytes(call_flow(PcapWriter(), "two", at=2000.0).bytes())
    sizes = [first.stat().st_size, second.stat().st_size]
    merged = b"".join(pcap.merged([first, second], sizes))
    assert len(merged) == pcap.merged_length(sizes)
    assert {m.call_id for m in _messages(merged)} == {"one", "two"}
    assert set(read_dialogs([first, second]).dialogs) == {"one", "two"}


def test_a_file_that_grew_after_the_download_started_is_sent_at_its_first_size(
    tmp_path: Path,
) -> None:
    path = tmp_path / "capture.pcap0"
    path.write_bytes(call_flow(PcapWriter()).bytes())
    size = path.stat().st_size
    with path.open("ab") as grow:
        grow.write(b"\0" * 100)
    assert len(b"".join(pcap.merged([path], [size]))) == size


def test_only_files_of_the_first_ones_link_type_are_merged(tmp_path: Path) -> None:
    cooked = tmp_path / "capture.pcap0"
    cooked.write_bytes(PcapWriter().bytes())
    ethernet = tmp_path / "capture.pcap1"
    ethernet.write_bytes(PcapWriter(linktype=ETHERNET).bytes())
    empty = tmp_path / "capture.pcap2"
    empty.write_bytes(b"")
    hep_file = tmp_path / "hep.pcap"
    hep_file.write_bytes(file_header())
    files = [cooked, ethernet, empty, hep_file]
    assert pcap.same_link(files) == [cooked, empty, hep_file]
