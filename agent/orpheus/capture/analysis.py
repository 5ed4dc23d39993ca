"""A capture's SIP dialogs, read from its ring files (oldest first), remembered while the
files stay as they were: a finished capture is parsed once, not at every request."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from orpheus.capture import pcap, sip
from orpheus.capture.dialogs import Dialogs, group

CACHED = 8  # captures whose dialogs are remembered


def read_dialogs(files: list[Path], max_records: int = pcap.MAX_RECORDS) -> Dialogs:
    messages: list[sip.SipMessage] = []
    left = max_records
    for path in files:
        if left <= 0:
            break
        try:  # packet by packet: only the SIP messages are kept, never a file's payloads
            with path.open("rb") as stream:
                for packet in pcap.packets(stream, left):
                    left -= 1
                    messages.extend(sip.messages(packet))
        except (OSError, pcap.PcapInvalid):
            continue  # a ring file being rewritten, or not a pcap: the others still count
    return group(messages)


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
