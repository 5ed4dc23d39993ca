"""SIP messages out of UDP and TCP payloads (RFC 3261's text form), bounded and lenient.

Everything here came off the wire: values are decoded with errors replaced, cut to
MAX_VALUE characters, and only the headers a dialog needs are kept. A TCP segment may hold
several messages (split by Content-Length); a message split over segments is not reassembled
(its start line and headers usually fit in the first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from orpheus.capture.pcap import Packet

MAX_VALUE = 256
MAX_HEADERS = 100
MAX_MESSAGES_PER_SEGMENT = 16
# The compact forms of the headers read here (RFC 3261 section 7.3.3).
_COMPACT = {"i": "call-id", "f": "from", "t": "to", "l": "content-length"}
_WANTED = frozenset({"call-id", "from", "to", "cseq", "content-length"})
_REQUEST = re.compile(r"([A-Z]{2,16}) (\S{1,2048}) SIP/2\.0")
_RESPONSE = re.compile(r"SIP/2\.0 ([1-6][0-9][0-9])(?: (.*))?")


@dataclass(frozen=True)
class SipMessage:
    time: float
    source: str  # "address:port" ([address]:port for IPv6)
    destination: str
    transport: str
    method: str  # the request's method, or the CSeq method of a response
    status: int | None  # None for a request
    reason: str
    call_id: str
    from_: str
    to: str
    cseq: str

    @property
    def label(self) -> str:
        if self.status is None:
            return self.method
        return f"{self.status} {self.reason}".strip()


def messages(packet: Packet) -> Iterator[SipMessage]:
    data = packet.payload
    for _ in range(MAX_MESSAGES_PER_SEGMENT):
        if not data.strip():
            return
        parsed = _parse(packet, data.lstrip(b"\r\n"))
        if parsed is None:
            return
        message, rest = parsed
        yield message
        if packet.transport != "tcp":
            return
        data = rest


def _parse(packet: Packet, data: bytes) -> tuple[SipMessage, bytes] | None:
    head, separator, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", errors="replace").split("\r\n")
    start = lines[0]
    request, response = _REQUEST.fullmatch(start), _RESPONSE.fullmatch(start)
    if request is None and response is None:
        return None
    headers = _headers(lines[1 : 1 + MAX_HEADERS])
    call_id = headers.get("call-id", "")
    if not call_id:
        return None
    cseq = headers.get("cseq", "")
    cseq_method = cseq.split()[-1] if len(cseq.split()) == 2 else ""
    message = SipMessage(
        time=packet.time,
        source=_endpoint(packet.source, packet.source_port),
        destination=_endpoint(packet.destination, packet.destination_port),
        transport=packet.transport,
        method=request.group(1) if request else _clip(cseq_method),
        status=int(response.group(1)) if response else None,
        reason=_clip(response.group(2) or "") if response else "",
        call_id=call_id,
        from_=headers.get("from", ""),
        to=headers.get("to", ""),
        cseq=cseq,
    )
    length = headers.get("content-length", "")
    rest = body[int(length) :] if separator and length.isdigit() and len(length) < 9 else b""
    return message, rest


def _headers(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        if key in _WANTED and key not in found:
            found[key] = _clip(value.strip())
    return found


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _clip(text: str) -> str:
    """At most MAX_VALUE characters, control characters (not allowed in XML) replaced."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text[:MAX_VALUE])
