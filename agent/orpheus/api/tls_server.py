"""TLS inside the bounded waitress server (waitress has none of its own).

An accepted connection first belongs to a Handshake in the server's event loop: the TLS
handshake runs non-blocking there, one step per readable or writable event, so a client that
connects and sends nothing (or trickles its ClientHello) costs a socket, never the loop; the
server's maintenance closes handshakes older than handshake_timeout. A finished handshake
hands its socket to a TlsChannel, waitress's channel with reads and writes that understand
TLS's "want read / want write" and a lock around the SSL object (waitress writes from its
worker threads while the loop reads, and one OpenSSL connection must not be used by two
threads at once).

A connection the server ends after an answer (a 413 to a body it will not take, a 400) is
half-closed and drained for a while (lingering close, as nginx does): a client still sending
its body then reads the answer and sees its end; closed at once, the unread bytes make the
kernel reset the connection, and a TLS client loses the answer it had not read yet.

The context is asked for at each accept, so a certificate replaced at run time is served
from the next connection on without a restart.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore

from orpheus.api.waitress_bounds import BoundedChannel, BoundedTcpServer

log = logging.getLogger(__name__)

# One TLS record's worth of plaintext per write: the loop stays responsive and a write that
# must be retried (want write) is retried with the same bytes, as OpenSSL requires.
TLS_RECORD_BYTES = 16 * 1024
TLS_WANTS = (ssl.SSLWantReadError, ssl.SSLWantWriteError)
# A closing connection's input is read and dropped for at most this long, and this much.
LINGER_SECONDS = 5.0
LINGER_BYTES = 16 * 1024 * 1024
ContextSource = Callable[[], ssl.SSLContext | None]


class TlsChannel(BoundedChannel):
    """A waitress channel over a handshaken ssl.SSLSocket (non-blocking)."""

    def __init__(self, server: Any, sock: ssl.SSLSocket, addr: Any, adj: Any, **kw: Any) -> None:
        self._tls_lock = threading.Lock()
        self._linger_until: float | None = None
        self._lingered_bytes = 0
        super().__init__(server, sock, addr, adj, **kw)
        self.sendbuf_len = TLS_RECORD_BYTES

    def handle_close(self) -> None:
        """The server's close after an answer lingers first; any other close is at once."""
        closing: bool = self.will_close  # type: ignore[has-type]  # waitress's, untyped
        if self._linger_until is None and self.connected and closing:
            with self._tls_lock:
                try:
                    # The answer is sent; the FIN ends it. This drops the TLS layer: what is
                    # read from here on is the client's ciphertext, thrown away unread.
                    self.socket.shutdown(socket.SHUT_WR)
                except OSError:
                    super().handle_close()
                    return
            self._linger_until = time.monotonic() + LINGER_SECONDS
            self.will_close = False  # set again by the maintenance when the time is up
            return
        super().handle_close()

    def readable(self) -> bool:
        return True if self._linger_until is not None else bool(super().readable())

    def writable(self) -> bool:
        if self._linger_until is not None:
            return bool(self.will_close)
        return bool(super().writable())

    def overdue(self, now: float) -> bool:
        if self._linger_until is not None:
            return now > self._linger_until
        return super().overdue(now)

    def handle_read(self) -> None:
        if self._linger_until is not None:
            self._drain()
            return
        try:
            data, closed = self._read_available()
        except OSError:  # ssl.SSLError too: a broken record, a reset
            self.handle_close()
            return
        if data:
            self.last_activity = time.time()
            self.received(data)
        if closed:
            self.handle_close()

    def _drain(self) -> None:
        """Reads and drops what the client still sends; closes at its end or past the caps."""
        closed = False
        try:
            while self._lingered_bytes <= LINGER_BYTES:
                data = self.socket.recv(TLS_RECORD_BYTES)
                if not data:
                    closed = True
                    break
                self._lingered_bytes += len(data)
        except BlockingIOError:
            pass
        except OSError:  # a reset
            closed = True
        late = time.monotonic() > (self._linger_until or 0.0)
        if closed or late or self._lingered_bytes > LINGER_BYTES:
            super().handle_close()

    def _read_available(self) -> tuple[bytes, bool]:
        """Everything decrypted now, and whether the peer has closed. OpenSSL may hold
        decrypted bytes that poll() cannot see (pending()), so they are read too."""
        chunks: list[bytes] = []
        with self._tls_lock:
            try:
                while True:
                    data = self.socket.recv(max(self.adj.recv_bytes, TLS_RECORD_BYTES))
                    if not data:
                        return b"".join(chunks), True
                    chunks.append(data)
                    if not self.socket.pending():
                        break
            except TLS_WANTS:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b"".join(chunks), True
        return b"".join(chunks), False

    def send(self, data: bytes, do_close: bool = True) -> int:
        """0 when TLS cannot write now; other errors reach waitress's flush, which closes."""
        with self._tls_lock:
            try:
                return int(self.socket.send(data))
            except TLS_WANTS:
                return 0


class Handshake(wasyncore.dispatcher):  # type: ignore[misc]
    """A connection whose TLS handshake is under way; made by the server at accept."""

    def __init__(
        self,
        server: Any,
        sock: Any,
        addr: Any,
        adj: Any,
        map: Any = None,  # noqa: A002
    ) -> None:
        self.socket: Any = None  # dispatcher's __getattr__ reads it: set before anything can fail
        self._server = server
        self._addr = addr
        self._adj = adj
        self._map = map
        self._want_write = False
        self.started_at = time.monotonic()
        context = server.tls_context()
        if context is None:  # no certificate could be made or loaded: nothing to serve
            sock.close()
            return
        try:
            sock.setblocking(False)
            tls = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except OSError as error:  # the client is gone already
            log.debug("TLS connection from %s not set up: %s", addr[0], error)
            sock.close()
            return
        super().__init__(tls, map=map)
        server.handshakes.add(self)

    def readable(self) -> bool:
        return not self._want_write

    def writable(self) -> bool:
        return self._want_write

    def handle_read(self) -> None:
        self._step()

    def handle_write(self) -> None:
        self._step()

    def _step(self) -> None:
        try:
            self.socket.do_handshake()
        except ssl.SSLWantReadError:
            self._want_write = False
            return
        except ssl.SSLWantWriteError:
            self._want_write = True
            return
        except OSError as error:  # ssl.SSLError: not TLS, no shared version or cipher...
            log.debug("TLS handshake with %s failed: %s", self._addr[0], error)
            self.close()
            return
        self._hand_over()

    def _hand_over(self) -> None:
        sock = self.socket
        self._server.handshakes.discard(self)
        self.del_channel(self._map)  # leaves the loop's map; the socket stays open
        self.socket = None
        channel = TlsChannel(self._server, sock, self._addr, self._adj, map=self._map)
        if sock.pending():  # the request came in the handshake's last read
            channel.handle_read()

    def handle_close(self) -> None:
        self.close()

    def handle_error(self) -> None:
        log.debug("TLS handshake with %s: unexpected error", self._addr[0], exc_info=True)
        self.close()

    def close(self) -> None:
        self._server.handshakes.discard(self)
        if self.socket is not None:
            super().close()


class BoundedTlsServer(BoundedTcpServer):
    """BoundedTcpServer speaking TLS. tls_context: the context for the next connection
    (None: refuse it); handshakes count against the connection cap (they are in the map)."""

    channel_class = Handshake

    def __init__(
        self, *args: Any, tls_context: ContextSource, handshake_timeout: float, **kw: Any
    ) -> None:
        self.tls_context = tls_context
        self.handshake_timeout = handshake_timeout
        self.handshakes: set[Handshake] = set()
        super().__init__(*args, **kw)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        moment = time.monotonic()
        late = [h for h in self.handshakes if moment - h.started_at > self.handshake_timeout]
        for handshake in late:
            handshake.close()
        if late:
            log.info("closed %d connection(s) whose TLS handshake did not finish", len(late))
