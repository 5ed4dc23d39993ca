"""What waitress lacks for the agent, added through its parser, channel and server classes.

waitress reads requests in its event loop and hands only complete ones to its worker threads,
and closes connections idle for channel_timeout. Added here:
- a deadline for the request header and a minimum average rate for the body (a client that
  trickles a byte a second keeps waitress's idle timer fresh, but is dropped here);
- the body cap of the request's route, decided when the header has arrived, before any of the
  body is read (413), and no "100 Continue" for a body that will be refused;
- errors answered as JSON {"error": "..."} like the API's own;
- bodies too large for memory spooled into a directory of ours (the data partition), not
  tempfile's default (/tmp may be RAM);
- on the Unix socket, the peer's credentials (api/peer.py) read at accept time and put in
  each request's environ.
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from waitress.adjustments import Adjustments
from waitress.buffers import OverflowableBuffer, TempfileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer, UnixWSGIServer
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import Error, RequestEntityTooLarge

from orpheus.api.body_limit import BodyLimit, request_body_limit
from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials, peer_credentials

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestBounds:
    body_limit: BodyLimit
    spool_dir: Path
    header_timeout: float
    # A body must arrive at min_body_rate bytes/s on average, after body_grace seconds.
    body_grace: float
    min_body_rate: float


class BoundedAdjustments(Adjustments):  # type: ignore[misc]
    """waitress's settings plus ours (Adjustments refuses unknown keywords)."""

    def __init__(self, bounds: RequestBounds, **kw: Any) -> None:
        super().__init__(**kw)
        self.bounds = bounds


class _RequestAdjustments:
    """The server's settings with this request's body cap: waitress's parser reads
    adj.max_request_body_size and refuses a body of that size or more."""

    def __init__(self, base: BoundedAdjustments, max_request_body_size: int) -> None:
        self._base = base
        self.max_request_body_size = max_request_body_size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


class BodyTooLarge(RequestEntityTooLarge):  # type: ignore[misc]
    pass


SPOOL_PREFIX = "body-"


def clear_spool(directory: Path) -> None:
    """Bodies spooled before a crash (a clean run removes each when its request ends)."""
    for leftover in directory.glob(f"{SPOOL_PREFIX}*"):
        leftover.unlink(missing_ok=True)


class _SpoolFile(TempfileBasedBuffer):  # type: ignore[misc]
    def __init__(self, directory: Path, from_buffer: Any = None) -> None:
        self._directory = directory
        super().__init__(from_buffer)

    def newfile(self) -> IO[bytes]:
        """A named file (removed when waitress closes it), so that an upload handler can take
        it over with a hard link instead of copying it (api/upload.py)."""
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile("w+b", dir=self._directory, prefix=SPOOL_PREFIX)


class _SpoolingBuffer(OverflowableBuffer):  # type: ignore[misc]
    """waitress's body buffer (memory, then a file past inbuf_overflow) with the file in
    our directory."""

    def __init__(self, overflow: int, directory: Path) -> None:
        super().__init__(overflow)
        self._directory = directory

    def _set_large_buffer(self) -> None:
        old: Any = self.buf  # type: ignore[has-type]
        self.buf = _SpoolFile(self._directory, old)
        if hasattr(old, "close"):
            old.close()
        self.overflowed = True


class BoundedParser(HTTPRequestParser):  # type: ignore[misc]
    """One request; made by the channel when the request's first byte arrives."""

    def __init__(self, adj: BoundedAdjustments) -> None:
        super().__init__(adj)
        self._server_adj = adj
        self.started_at = time.monotonic()
        self.header_done_at: float | None = None
        self.body_cap = 0

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        self.header_done_at = time.monotonic()
        bounds: RequestBounds = self._server_adj.bounds
        content_type = self.headers.get("CONTENT_TYPE", "")
        self.body_cap = request_body_limit(bounds.body_limit, self.command, self.path, content_type)
        self.adj = _RequestAdjustments(self._server_adj, self.body_cap + 1)
        if self.body_rcv is not None:  # nothing of the body is buffered yet
            self.body_rcv.buf = _SpoolingBuffer(self.adj.inbuf_overflow, bounds.spool_dir)

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        error: Any = self.error  # type: ignore[has-type]
        if isinstance(error, RequestEntityTooLarge) and not isinstance(error, BodyTooLarge):
            self.error = BodyTooLarge(
                f"request body too large: {self.command} {self.path} takes at most "
                f"{self.body_cap} bytes"
            )
            self.expect_continue = False  # answer 413 now, do not invite the body
        return consumed

    def overdue(self, now: float) -> bool:
        """True when the header, or the body at its minimum rate, is late."""
        if self.completed:
            return False
        bounds: RequestBounds = self._server_adj.bounds
        if self.header_done_at is None:
            return now - self.started_at > bounds.header_timeout
        received: int = self.body_bytes_received
        return now - self.header_done_at > bounds.body_grace + received / bounds.min_body_rate


class JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's own answers (400, 413, 431, 500, 501) in the API's error shape."""

    def execute(self) -> None:
        error: Error = self.request.error
        message = str(error.body) if isinstance(error, BodyTooLarge) else error_message(error)
        body = json.dumps({"error": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def error_message(error: Error) -> str:
    detail = str(error.body or "").splitlines()
    return f"{error.reason.lower()}: {detail[0]}" if detail and detail[0] else error.reason.lower()


class BoundedChannel(HTTPChannel):  # type: ignore[misc]
    parser_class = BoundedParser
    error_task_class = JsonErrorTask

    def overdue(self, now: float) -> bool:
        request = self.request
        return bool(request is not None and not self.requests and request.overdue(now))


class _PeerTask(WSGITask):  # type: ignore[misc]
    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[PEER_ENVIRON_KEY] = self.channel.peer
        return environ


class LocalChannel(BoundedChannel):
    """A Unix socket connection: who connected is read once, from the kernel, at accept."""

    task_class = _PeerTask

    def __init__(self, server: Any, sock: socket.socket, addr: Any, adj: Any, **kw: Any) -> None:
        self.peer: PeerCredentials | None = peer_credentials(sock)
        super().__init__(server, sock, addr, adj, **kw)


class _DeadlineMaintenance:
    """Server mixin: waitress's maintenance (every cleanup_interval) closes idle channels;
    this also closes those whose request is late."""

    active_channels: dict[int, BoundedChannel]

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # type: ignore[misc]
        moment = time.monotonic()
        late = [c for c in list(self.active_channels.values()) if c.overdue(moment)]
        for channel in late:
            log.debug("dropping %s: its request came too slowly", channel.addr[0])
            channel.will_close = True
        if late:
            log.info("dropped %d client(s) whose request came too slowly", len(late))


class BoundedTcpServer(_DeadlineMaintenance, TcpWSGIServer):  # type: ignore[misc]
    channel_class = BoundedChannel


class BoundedUnixServer(_DeadlineMaintenance, UnixWSGIServer):  # type: ignore[misc]
    channel_class = LocalChannel
