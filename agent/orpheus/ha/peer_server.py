"""The pair channel's server: HTTPS on the sync port, mutual TLS with the pinned peer.

Before pairing it asks no client certificate and answers only POST /pair (authenticated by
the one-time code); once paired, a client that does not present the peer's certificate is
dropped during the TLS handshake.

Bounded: one asyncio loop holds every connection (at most MAX_CONNECTIONS; past that a new
one is closed at once), with deadlines for the TLS handshake, the request header, the body
(a minimum rate) and the wait between requests; a body is read only when its route allows
one of that size from this client: a client without a certificate (a stranger, or the Master
before pairing) may send POST /pair of a few KiB, and only while a pairing window is open for
its address (`ha join`); no other body of it is read. Handlers run on WORKERS threads.
(waitress has no TLS; cheroot does TLS handshakes in its accepting thread, so one client that
never sends its hello would stall every other.) The peer's requests are small,
so the HTTP/1.1 read here is the simple part: Content-Length bodies only, no chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from orpheus.ha.peer_http import (
    MAX_HEADER_BYTES,
    HttpRefusal,
    PeerRequest,
    encode_response,
    json_object,
    read_body,
    read_request,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024 * 1024
# A pair request is ~1.5 KiB (the Master's certificate and a few fields).
PAIR_BODY_BYTES = 8 * 1024
MAX_CONNECTIONS = 64
WORKERS = 4
HANDSHAKE_TIMEOUT_SECONDS = 5.0
# A connection that sends nothing for this long between requests is closed.
IDLE_TIMEOUT_SECONDS = 30.0
SHUTDOWN_TIMEOUT_SECONDS = 5.0


class PeerRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PeerHandlers(Protocol):
    def pair_refusal(self, client: str) -> str | None:
        """Why client may not send POST /pair now (no window open...), or None."""
        ...

    def peer_pair(
        self, body: dict[str, Any], peer_cert_der: bytes | None, client: str
    ) -> dict[str, Any]: ...

    def peer_state(self, peer_cert_der: bytes | None) -> dict[str, Any]: ...

    def peer_push(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]: ...


Answer = tuple[int, dict[str, Any]]


class _Route:
    def __init__(self, method: str, max_body: int, stranger: bool) -> None:
        self.method = method
        self.max_body = max_body
        self.stranger = stranger  # may be asked without a client certificate


ROUTES = {
    "/pair": _Route("POST", PAIR_BODY_BYTES, stranger=True),
    "/state": _Route("GET", 0, stranger=False),
    "/push": _Route("POST", MAX_BODY_BYTES, stranger=False),
}


class PeerServer:
    def __init__(
        self,
        address: str,
        port: int,
        context: Callable[[], ssl.SSLContext],
        handlers: PeerHandlers,
    ) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self._socket = socket.create_server((address, port), family=family, backlog=64)
        self._socket.setblocking(False)
        self._context = context
        self._handlers = handlers
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="ha-peer-worker")
        self._thread = threading.Thread(target=self._run, name="ha-peer-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._open = 0

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(SHUTDOWN_TIMEOUT_SECONDS)

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._socket.close()

    # -- the event loop (thread ha-peer-server)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        accepting = asyncio.create_task(self._accept())
        await self._stopping.wait()
        accepting.cancel()  # asyncio.run cancels the connections still open

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, address = await loop.sock_accept(self._socket)
            except OSError as error:  # EMFILE and the like: do not spin
                log.warning("pair channel: accept failed: %s", error)
                await asyncio.sleep(0.5)
                continue
            if self._open >= MAX_CONNECTIONS:
                log.warning("pair channel: %d connections open, %s dropped", self._open, address[0])
                connection.close()
                continue
            self._open += 1
            task = asyncio.create_task(self._connection(connection, str(address[0])))
            task.add_done_callback(self._closed)

    def _closed(self, _task: asyncio.Task[None]) -> None:
        self._open -= 1

    async def _connection(self, connection: socket.socket, client: str) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_HEADER_BYTES)
        protocol = asyncio.StreamReaderProtocol(reader)
        try:
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol,
                connection,
                ssl=self._context(),
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT_SECONDS,
                ssl_shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
            )
        except (OSError, ssl.SSLError) as error:
            log.warning("pair channel: dropped connection from %s: %s", client, error)
            connection.close()
            return
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        tls = transport.get_extra_info("ssl_object")
        cert = tls.getpeercert(binary_form=True) if tls is not None else None
        try:
            await self._requests(reader, writer, cert, client)
        finally:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), SHUTDOWN_TIMEOUT_SECONDS)

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        cert: bytes | None,
        client: str,
    ) -> None:
        keep_alive = True
        while keep_alive:
            try:
                request = await read_request(reader, IDLE_TIMEOUT_SECONDS)
                if request is None:
                    return
                keep_alive = request.keep_alive
                status, data = await self._answer(request, reader, cert, client)
            except HttpRefusal as refusal:  # the rest of the stream cannot be trusted
                keep_alive = False
                status, data = refusal.status, {"error": refusal.message}
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
                return
            writer.write(encode_response(status, data, keep_alive))
            try:
                await asyncio.wait_for(writer.drain(), IDLE_TIMEOUT_SECONDS)
            except (OSError, TimeoutError, ssl.SSLError):
                return

    async def _answer(
        self, request: PeerRequest, reader: asyncio.StreamReader, cert: bytes | None, client: str
    ) -> Answer:
        loop = asyncio.get_running_loop()
        route = ROUTES.get(request.path)
        if route is None or route.method != request.method:
            self._refuse_unread_body(request)
            return 404, {"error": f"no such path {request.path}"}
        if cert is None and not route.stranger:
            log.warning("pair channel: %s %s from %s without a certificate", *request.line, client)
            self._refuse_unread_body(request)
            return 403, {"error": "not the paired peer"}
        if request.path == "/pair":
            refusal = await loop.run_in_executor(self._pool, self._handlers.pair_refusal, client)
            if refusal is not None:
                log.warning("pair channel: POST /pair from %s refused: %s", client, refusal)
                self._refuse_unread_body(request)
                return 403, {"error": refusal}
        if request.content_length > route.max_body:
            self._refuse_unread_body(request)
            return 413, {"error": f"request too large: at most {route.max_body} bytes"}
        body = await read_body(reader, request.content_length)
        return await loop.run_in_executor(self._pool, self._call, request.path, body, cert, client)

    @staticmethod
    def _refuse_unread_body(request: PeerRequest) -> None:
        if request.content_length:  # the body was not read: the connection ends with this
            request.keep_alive = False

    # -- a worker thread

    def _call(self, path: str, raw: bytes, cert: bytes | None, client: str) -> Answer:
        handlers = self._handlers
        try:
            if path == "/state":
                return 200, handlers.peer_state(cert)
            body = json_object(raw)
            if path == "/pair":
                return 200, handlers.peer_pair(body, cert, client)
            return 200, handlers.peer_push(body, cert)
        except HttpRefusal as refusal:
            return refusal.status, {"error": refusal.message}
        except PeerRequestError as error:
            return error.status, {"error": error.message}
        except Exception:  # a handler's bug is logged and answered 500
            log.exception("pair channel: %s failed", path)
            return 500, {"error": f"internal error in {path}: see the agent's log"}
