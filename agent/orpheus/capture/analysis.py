"""A capture's SIP dialogs, read from its ring files (oldest first) and its HEP file
(Asterisk's decrypted SIP), remembered while the files stay as they were: a finished capture
is parsed once, not at every request.

A message in both (SIP over TCP: tcpdump reads it, and Asterisk's copy cannot be told from
TLS) counts once: the HEP copy is dropped when tcpdump's packets hold the same message
(Call-ID, CSeq, start line, addresses) within SAME_MESSAGE_SECONDS."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from orpheus.capture import pcap, sip
from orpheus.capture.dialogs import Dialogs, group
from orpheus.capture.hep_receiver import HEP_FILE

CACHED = 8  # captures whose dialogs are remembered
SAME_MESSAGE_SECONDS = 1.0  # HEP's time has milliseconds; a retransmission comes 0.5 s on
HEP_TRANSPORT = "hep"  # what a message from Asterisk's copy says it came over
Key = tuple[str, str, str, str, str]


def read_dialogs(files: list[Path], max_records: int = pcap.MAX_RECORDS) -> Dialogs:
    captured: list[sip.SipMessage] = []
    decrypted: list[sip.SipMessage] = []
    left = max_records
    for path in files:
        if left <= 0:
            break
        into = decrypted if path.name == HEP_FILE else captured
        try:  # packet by packet: only the SIP messages are kept, never a file's payloads
            with path.open("rb") as stream:
                for packet in pcap.packets(stream, left):
                    left -= 1
                    into.extend(sip.messages(packet))
        except (OSError, pcap.PcapInvalid):
            continue  # a ring file being rewritten, or not a pcap: the others still count
    return group(captured + _not_captured(decrypted, captured))


def _key(message: sip.SipMessage) -> Key:
    return (message.call_id, message.cseq, message.label, message.source, message.destination)


def _not_captured(
    decrypted: list[sip.SipMessage], captured: list[sip.SipMessage]
) -> list[sip.SipMessage]:
    """Asterisk's copies that tcpdump's packets do not hold, marked as HEP's."""
    seen: dict[Key, list[float]] = {}
    for message in captured:
        seen.setdefault(_key(message), []).append(message.time)
    return [
        replace(message, transport=HEP_TRANSPORT)
        for message in decrypted
        if not _seen(seen.get(_key(message), []), message.time)
    ]


def _seen(times: list[float], time: float) -> bool:
    return any(abs(seen - time) < SAME_MESSAGE_SECONDS for seen in times)


class DialogCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[tuple[tuple[str, int, int], ...], Dialogs]] = (
            OrderedDict()
        )

    def dialogs(self, capture_id: str, files: list[Path]) -> Dialogs:
        key = tuple(_fingerprint(path) for path in files)
        with self._lock:
            cached = self._cache.get(capture_id)
            if cached is not None and cached[0] == key:
                self._cache.move_to_end(capture_id)
                return cached[1]
        found = read_dialogs(files)
        with self._lock:
            self._cache[capture_id] = (key, found)
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return found

    def forget(self, capture_id: str) -> None:
        with self._lock:
            self._cache.pop(capture_id, None)


def _fingerprint(path: Path) -> tuple[str, int, int]:
    try:
        status = path.stat()
    except OSError:
        return (path.name, -1, -1)
    return (path.name, status.st_size, status.st_mtime_ns)
