"""The local HEP receiver: a UDP socket on 127.0.0.1 that Asterisk's res_hep sends to, and a
thread that writes each SIP message into every running capture's HEP file (hep.pcap beside
tcpdump's ring) as the UDP/IP packet it stands for, with its original addresses, ports and
time. SIP that Asterisk received or sent over UDP is left out (tcpdump's packets hold it);
over TCP it cannot be told from TLS, so it is written and the dialog listing counts it once
(capture/analysis.py). A capture's HEP file is bounded (limits.Ring.hep_bytes, within the
quota): when it is full, messages are counted and dropped, never written past the bound.

The file uses tcpdump's link type for `-i any` (Linux cooked v2), so the capture's download
stays one pcap and the dialog listing reads it like the ring's files.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from orpheus.capture import hep, pcap
from orpheus.capture.filters import CaptureFilter

log = logging.getLogger(__name__)

HEP_FILE = "hep.pcap"
ADDRESS = "127.0.0.1"  # loopback only: decrypted signalling never leaves the unit
PORT = 9064
LINKTYPE_LINUX_SLL2 = 276
ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD
ARPHRD_NONE = 0xFFFE
PACKET_HOST = 0
POLL_SECONDS = 0.5  # how soon the thread notices it is asked to stop


def file_header() -> bytes:
    # The snap length is tcpdump's largest: a record is the cooked header and a whole packet
    # of up to 64 KiB, which a reader holding records to the snap length must not cut off.
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, pcap.MAX_RECORD, LINKTYPE_LINUX_SLL2)


def record(message: hep.HepMessage) -> bytes:
    """One pcap record: its header, the cooked v2 header, the reconstructed packet."""
    packet = hep.udp_packet(message)
    ethertype = ETHERTYPE_IPV6 if ":" in message.source else ETHERTYPE_IPV4
    cooked = struct.pack("!HHIHBB8x", ethertype, 0, 0, ARPHRD_NONE, PACKET_HOST, 0)
    seconds = int(message.time)
    micro = min(999_999, round((message.time - seconds) * 1e6))
    data = cooked + packet
    return struct.pack("<IIII", seconds, micro, len(data), len(data)) + data


@dataclass
class HepFile:
    """One capture's HEP file, written up to limit bytes."""

    path: Path
    limit: int
    counters: hep.Counters
    capture_filter: CaptureFilter
    _stream: BinaryIO | None = None
    _size: int = 0

    def write(self, message: hep.HepMessage) -> None:
        if message.protocol == hep.PROTO_UDP:
            self.counters.plain += 1  # written twice it would be two arrows in the ladder
            return
        addresses = (message.source, message.destination)
        if not self.capture_filter.admits(
            addresses, (message.source_port, message.destination_port)
        ):
            return  # not the capture's, as tcpdump would not have taken its packet
        data = record(message)
        stream = self._open()
        if self._size + len(data) > self.limit:
            self.counters.over_limit += 1
            return
        stream.write(data)
        stream.flush()  # a download or a dialog listing mid-capture sees it
        self._size += len(data)
        self.counters.messages += 1

    def _open(self) -> BinaryIO:
        if self._stream is None:
            self._stream = self.path.open("wb")
            self._stream.write(file_header())
            self._stream.flush()
            self._size = len(file_header())
        return self._stream

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class HepReceiver:
    """Bound for the agent's life once started (no other local process can take the port
    and read what Asterisk sends while a capture runs); datagrams that arrive while no
    capture runs are read and dropped."""

    def __init__(self, address: str = ADDRESS, port: int = PORT) -> None:
        self._address = (address, port)
        self._files: dict[str, HepFile] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.counters = hep.Counters()  # datagrams no capture could take

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1] if self._socket is not None else self._address[1]

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(self._address)
        sock.settimeout(POLL_SECONDS)
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, name="hep-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(POLL_SECONDS * 4)
        if self._socket is not None:
            self._socket.close()
        with self._lock:
            for hep_file in self._files.values():
                hep_file.close()
            self._files.clear()

    def attach(
        self, capture_id: str, directory: Path, limit: int, capture_filter: CaptureFilter
    ) -> hep.Counters:
        """From now on, capture_id's HEP file takes what arrives and its filter admits; the
        file's counters."""
        counters = hep.Counters()
        hep_file = HepFile(directory / HEP_FILE, limit, counters, capture_filter)
        with self._lock:
            self._files[capture_id] = hep_file
        return counters

    def detach(self, capture_id: str) -> None:
        """Stops writing capture_id's file."""
        with self._lock:
            hep_file = self._files.pop(capture_id, None)
            if hep_file is not None:
                hep_file.close()

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stopping.is_set():
            try:
                data = self._socket.recv(hep.MAX_PACKET)
            except TimeoutError:
                continue
            except OSError as error:
                log.error("the HEP receiver stopped: %s", error)
                return
            self.take(data)

    def take(self, data: bytes) -> None:
        """One datagram into every attached capture (each counts for itself)."""
        parsed = hep.Counters()
        message = hep.parse(data, parsed)
        with self._lock:
            files = list(self._files.values())
            for hep_file in files:
                hep_file.counters.add_drops(parsed)
                if message is not None:
                    self._write(hep_file, message)
            if not files:
                self.counters.add_drops(parsed)

    def _write(self, hep_file: HepFile, message: hep.HepMessage) -> None:
        try:
            hep_file.write(message)
        except OSError as error:  # a full /run or a deleted capture: this message is lost
            hep_file.counters.over_limit += 1
            log.warning("cannot write %s: %s", hep_file.path, error)
