"""Dialogs from SIP messages, and the ladder diagram's escaping of hostile values."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

from orpheus.capture import ladder, pcap, sip
from orpheus.capture.dialogs import MAX_DIALOGS, group
from tests.unit.capture.pcap_files import PBX, PHONE, PcapWriter, call_flow, udp

SVG = "{http://www.w3.org/2000/svg}"


def _dialogs(writer: PcapWriter):  # type: ignore[no-untyped-def]
    packets = pcap.packets(io.BytesIO(writer.bytes()))
    return group(m for p in packets for m in sip.messages(p))


def test_a_call_is_one_dialog_with_its_talk_time_and_final_response() -> None:
    found = _dialogs(call_flow(PcapWriter()))
    (dialog,) = found.dialogs.values()
    summary = dialog.as_dict()
    assert summary["call_id"] == "call-1@10.0.0.1"
    assert summary["from"] == "<sip:201@pbx>;tag=a" and summary["to"] == "<sip:202@pbx>"
    assert summary["final_response"] == "200 OK"  # the INVITE's, not the BYE's
    assert summary["duration"] == 10.0  # 200 at +2 s to BYE at +12 s
    assert summary["start"] == 1000.0 and summary["message_count"] == 7


def test_a_refused_call_keeps_its_final_response() -> None:
    writer = PcapWriter()
    writer.add(1.0, udp(*PHONE, *PBX, _text("INVITE sip:x SIP/2.0", "refused", "1 INVITE")))
    writer.add(1.1, udp(*PBX, *PHONE, _text("SIP/2.0 403 Forbidden", "refused", "1 INVITE")))
    (dialog,) = _dialogs(writer).dialogs.values()
    assert dialog.as_dict()["final_response"] == "403 Forbidden"


def test_a_flood_of_call_ids_is_bounded() -> None:
    writer = PcapWriter()
    for n in range(MAX_DIALOGS + 50):
        writer.add(n, udp(*PHONE, *PBX, _text("INVITE sip:x SIP/2.0", f"flood-{n}", "1 INVITE")))
    found = _dialogs(writer)
    assert len(found.dialogs) == MAX_DIALOGS and found.dropped == 50


def _text(start: str, call_id: str, cseq: str, frm: str = "<sip:201@pbx>") -> bytes:
    return (
        f"{start}\r\nFrom: {frm}\r\nTo: <sip:202@pbx>\r\nCall-ID: {call_id}\r\n"
        f"CSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def test_the_ladder_escapes_every_wire_value() -> None:
    hostile = '"><script>alert(1)</script><a href="javascript:x">&amp;'
    writer = PcapWriter()
    invite = _text("INVITE sip:x SIP/2.0", 'id"<x>&', "1 INVITE", frm=hostile)
    writer.add(1.0, udp(*PHONE, *PBX, invite))
    writer.add(1.2, udp(*PBX, *PHONE, _text("SIP/2.0 486 <b>Busy</b>", 'id"<x>&', "1 INVITE")))
    (dialog,) = _dialogs(writer).dialogs.values()
    svg = ladder.render(dialog)
    root = ElementTree.fromstring(svg.encode())  # noqa: S314 - the agent's own output, checked well-formed
    assert root.tag == f"{SVG}svg"
    assert not root.findall(f".//{SVG}script") and not root.findall(f".//{SVG}a")
    assert "<script" not in svg and "<b>" not in svg
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    assert any("<script>" in text for text in texts)  # shown as text, not markup
    assert any("486 <b>Busy</b>" in text for text in texts)
    assert "INVITE" in texts and "10.0.0.1:5070" in texts


def test_the_ladder_text_is_cut_and_quotes_escaped() -> None:
    assert ladder.text("a\"b'c<d>&") == "a&quot;b&#x27;c&lt;d&gt;&amp;"
    assert len(ladder.text("x" * 500)) == ladder.MAX_LABEL


def test_a_challenged_invite_ends_with_the_answer_to_its_retry() -> None:
    writer = PcapWriter()
    steps = [("INVITE sip:x SIP/2.0", "1 INVITE"), ("SIP/2.0 401 Unauthorized", "1 INVITE"),
             ("INVITE sip:x SIP/2.0", "2 INVITE"), ("SIP/2.0 200 OK", "2 INVITE"),
             ("BYE sip:x SIP/2.0", "3 BYE"), ("SIP/2.0 481 Gone", "3 BYE")]  # fmt: skip
    for n, (start, cseq) in enumerate(steps):
        ends = (PHONE, PBX) if start[0] != "S" else (PBX, PHONE)
        writer.add(10.0 + n, udp(*ends[0], *ends[1], _text(start, "challenged", cseq)))
    (dialog,) = _dialogs(writer).dialogs.values()
    assert dialog.as_dict()["final_response"] == "200 OK"
    assert dialog.as_dict()["duration"] == 1.0  # 200 at 13 s, BYE at 14 s
