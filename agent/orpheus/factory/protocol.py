"""The factory console's framed protocol: one request at a time over a serial line.

A frame is one line, sent after a newline (so whatever a cut frame left on the line ends
before it):

    @ORF1 <base64 of the JSON message> <CRC32 of the base64, 8 hex digits>\\n

Lines without the marker (the kernel's console messages share the unit's ttyS0) are ignored.
A marked line whose checksum, encoding or content is wrong, or one longer than MAX_LINE, is
answered with a retry request ({"retry": true}) and never acted on.

Requests carry the station's session (random per run) and a sequence number; the unit keeps
its last replies by (session, sequence), so a request sent again because its reply was lost
is answered from that cache and not executed twice. The station sends a request again after a
retry request or when no valid reply came in time, a bounded number of times.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import select
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

MARKER = b"@ORF1 "
MAX_LINE = 64 * 1024  # a frame's line, marker to newline: bounds what either side buffers
REPLY_CACHE = 32  # replies kept for requests sent again; one request at a time needs few
OP_PATTERN = re.compile(r"[a-z][a-z-]{0,31}")
SESSION_PATTERN = re.compile(r"[0-9a-f]{16}")
MAX_SEQ = 2**53


class Link(Protocol):
    """A byte stream: pyserial's Serial (with a timeout) or FdLink. read returns b"" on timeout."""

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...


class LinkError(OSError):
    """No valid reply after every attempt: the serial line is cut or too noisy."""


class RemoteError(RuntimeError):
    """The unit answered the request with a refusal (one line, saying why)."""


class Refused(ValueError):
    """Raised by a console handler: the request is answered with this one-line refusal."""


class Corrupt:
    """A marked line that cannot be taken: answered with a retry request."""

    def __repr__(self) -> str:
        return "CORRUPT"


CORRUPT = Corrupt()
Frame = dict[str, Any] | Corrupt


def encode_frame(message: dict[str, Any]) -> bytes:
    body = base64.b64encode(json.dumps(message, separators=(",", ":")).encode())
    frame = b"\n" + MARKER + body + b" " + b"%08x" % zlib.crc32(body) + b"\n"
    if len(frame) - 2 > MAX_LINE:
        raise ValueError(f"message too large for one frame ({len(frame)} bytes)")
    return frame


def decode_line(line: bytes) -> Frame | None:
    """A message, CORRUPT, or None for a line that is no frame at all (console noise)."""
    line = line.rstrip(b"\r")
    if not line.startswith(MARKER):
        return CORRUPT if MARKER.strip() in line else None
    body, _, crc = line[len(MARKER) :].rpartition(b" ")
    try:
        if not re.fullmatch(rb"[0-9a-f]{8}", crc) or int(crc, 16) != zlib.crc32(body):
            return CORRUPT
        message = json.loads(base64.b64decode(body, validate=True))
    except (ValueError, binascii.Error):  # a JSONDecodeError and a UnicodeError are ValueErrors
        return CORRUPT
    return message if isinstance(message, dict) else CORRUPT


class FrameReader:
    """Splits what a link delivers into frames, with at most MAX_LINE bytes buffered."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._buffer = b""
        self._overlong = False
        self.bytes_read = 0
        self.corrupt = 0  # marked lines that could not be taken (noise, cut or forged frames)

    def read(self, timeout: float | None) -> Frame | None:
        """The next frame, or None when timeout seconds passed without one (None: wait on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            frame = self._take_line()
            if frame is not None:
                return frame
            if deadline is not None and time.monotonic() >= deadline:
                return None
            chunk = self.link.read(4096)
            self.bytes_read += len(chunk)
            self._buffer += chunk

    def _take_line(self) -> Frame | None:
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    self._buffer, self._overlong = b"", True
                return None
            line, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            if self._overlong:
                self._overlong = False
                frame: Frame | None = CORRUPT
            else:
                frame = decode_line(line)
            if frame is CORRUPT:
                self.corrupt += 1
            if frame is not None:
                return frame


@dataclass(frozen=True)
class Request:
    session: str
    seq: int
    op: str
    args: dict[str, Any]


def parse_request(message: dict[str, Any]) -> Request | None:
    session, seq, op, args = (message.get(k) for k in ("session", "seq", "op", "args"))
    if (
        set(message) != {"session", "seq", "op", "args"}
        or not isinstance(session, str)
        or not SESSION_PATTERN.fullmatch(session)
        or not isinstance(seq, int)
        or isinstance(seq, bool)
        or not 0 <= seq < MAX_SEQ
        or not isinstance(op, str)
        or not OP_PATTERN.fullmatch(op)
        or not isinstance(args, dict)
    ):
        return None
    return Request(session, seq, op, args)


Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


class ConsoleServer:
    """The unit's end: answers each request once, and a request sent again from its cache."""

    def __init__(self, link: Link, handler: Handler) -> None:
        self.link = link
        self.reader = FrameReader(link)
        self.handler = handler
        self.executed = 0  # requests run by the handler (not answered from the cache)
        self._replies: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    def serve_one(self, timeout: float | None = None) -> bool:
        """Reads and answers one frame; False when timeout passed without one."""
        frame = self.reader.read(timeout)
        if frame is None:
            return False
        request = parse_request(frame) if isinstance(frame, dict) else None
        if request is None:
            self.link.write(encode_frame({"retry": True}))
            return True
        key = (request.session, request.seq)
        reply = self._replies.get(key)
        if reply is None:
            reply = encode_frame(self._execute(request))
            self._replies[key] = reply
            while len(self._replies) > REPLY_CACHE:
                self._replies.popitem(last=False)
        self.link.write(reply)
        return True

    def _execute(self, request: Request) -> dict[str, Any]:
        answer: dict[str, Any] = {"session": request.session, "seq": request.seq}
        self.executed += 1
        try:
            answer |= {"ok": True, "result": self.handler(request.op, request.args)}
        except Refused as error:
            answer |= {"ok": False, "error": str(error).splitlines()[0] if str(error) else "?"}
        return answer


class ConsoleClient:
    """The station's end: sends a request, and sends it again until a valid reply comes."""

    def __init__(self, link: Link, *, timeout: float = 5.0, attempts: int = 6) -> None:
        self.link = link
        self.reader = FrameReader(link)
        self.timeout = timeout
        self.attempts = attempts
        self.session = secrets.token_hex(8)
        self.seq = secrets.randbelow(2**31)
        self.resent = 0  # requests sent again (retry requests and timeouts)
        self.bytes_written = 0

    @property
    def bytes_read(self) -> int:
        return self.reader.bytes_read

    def call(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        self.seq += 1
        frame = encode_frame(
            {"session": self.session, "seq": self.seq, "op": op, "args": args or {}}
        )
        for attempt in range(self.attempts):
            if attempt:
                self.resent += 1
            self.link.write(frame)
            self.bytes_written += len(frame)
            reply = self._reply(self.seq)
            if reply is None:
                continue
            if not reply.get("ok"):
                raise RemoteError(str(reply.get("error", "refused")))
            result = reply.get("result")
            if not isinstance(result, dict):
                raise RemoteError(f"{op}: the unit's reply holds no result")
            return result
        raise LinkError(f"{op}: no valid reply from the unit after {self.attempts} attempts")

    def _reply(self, seq: int) -> dict[str, Any] | None:
        """The reply to seq; None when the unit asked for a retry or nothing came in time."""
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self.reader.read(left)
            if frame is None or frame is CORRUPT or not isinstance(frame, dict):
                return None
            if frame.get("retry") is True:
                return None
            if "op" in frame:  # our own request, echoed by the unit's tty before it went raw
                continue
            if frame.get("session") == self.session and frame.get("seq") == seq:
                return frame
            # a reply to an earlier attempt answered twice from the unit's cache: skip it
        return None


class FdLink:
    """A Link over a file descriptor (the unit's tty, a pty's end), read with a timeout."""

    def __init__(self, fd: int, timeout: float = 0.5) -> None:
        self.fd = fd
        self.timeout = timeout

    def read(self, size: int = 1) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, size)
        except OSError:  # EIO: the pty's other end is closed, as a cut cable
            time.sleep(self.timeout)
            return b""

    def write(self, data: bytes, /) -> int:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        return len(data)
