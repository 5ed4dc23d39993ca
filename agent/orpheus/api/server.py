"""Bounded WSGI servers (waitress): TCP for the network, a Unix socket for the local CLI.

waitress buffers each request in its event loop and gives only complete requests to a fixed
pool of worker threads, so a silent or slow client costs a socket, not a thread. Open
connections are capped (past the cap new ones wait in the listen backlog), idle ones are
closed, and api/waitress_bounds.py adds header and body deadlines and per-route body caps.
Requests on the Unix socket are marked local (orpheusctl, trusted: see api/app.py). The
HTTPS server is the TCP one with TLS inside (api/tls_server.py).
"""

from __future__ import annotations

import logging
import resource
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.task import ThreadedTaskDispatcher

from orpheus.api.app import LOCAL_ENVIRON_KEY
from orpheus.api.body_limit import BodyLimit, json_only
from orpheus.api.tls_server import BoundedTlsServer, ContextSource
from orpheus.api.waitress_bounds import (
    BoundedAdjustments,
    BoundedTcpServer,
    BoundedUnixServer,
    RequestBounds,
    clear_spool,
)

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# How often the event loop wakes without traffic (deadline checks run at least this often).
LOOP_TIMEOUT_SECONDS = 0.5
SHUTDOWN_TIMEOUT_SECONDS = 5.0
# Descriptors the process needs besides the API's connections (files, AgentX, Asterisk...).
SPARE_DESCRIPTORS = 256


@dataclass(frozen=True)
class ServerLimits:
    """Sized for a 2-core, 2 GB unit: handlers are short (JSON, Asterisk CLI, D-Bus)."""

    threads: int = 8
    connections: int = 800
    # A connection with no request in flight that sends nothing for this long is closed.
    idle_timeout_seconds: int = 30
    # From a request's first byte to the end of its header.
    header_timeout_seconds: float = 10.0
    # After the header, the body must come at this average rate (16 KiB/s) after a grace.
    body_grace_seconds: float = 10.0
    min_body_bytes_per_second: float = 16 * 1024
    max_header_bytes: int = 32 * 1024
    # From accept to the end of the TLS handshake (HTTPS only).
    handshake_timeout_seconds: float = 10.0
    # Bodies past this are spooled into the spool directory instead of memory.
    memory_buffer_bytes: int = 64 * 1024
    backlog: int = 128


NETWORK_LIMITS = ServerLimits()
LOCAL_LIMITS = ServerLimits(threads=2, connections=32)


class BoundedServer:
    """One waitress server with its own event loop (serve_forever) and worker pool."""

    def __init__(
        self, server: Any, dispatcher: ThreadedTaskDispatcher, socket_map: dict[int, Any]
    ) -> None:
        self._server = server
        self._dispatcher = dispatcher
        self._map = socket_map
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._serving = False

    @property
    def address(self) -> tuple[str, Any]:
        """(host, port) on TCP, ("unix", path) on a Unix socket."""
        return self._server.effective_host, self._server.effective_port

    def serve_forever(self) -> None:
        self._serving = True
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=LOOP_TIMEOUT_SECONDS, map=self._map, use_poll=True, count=1)
        finally:
            self._close()
            self._stopped.set()

    def shutdown(self) -> None:
        """Stops serving: open connections are closed, requests in progress get 5 s."""
        self._stopping.set()
        if self._serving:
            self._server.pull_trigger()
            self._stopped.wait(SHUTDOWN_TIMEOUT_SECONDS + 2 * LOOP_TIMEOUT_SECONDS)
        else:
            self._close()

    def _close(self) -> None:
        self._dispatcher.shutdown(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        wasyncore.close_all(self._map)


def make_tcp_server(
    app: WsgiApp,
    address: str,
    port: int,
    *,
    body_limit: BodyLimit | None = None,
    spool_dir: Path | None = None,
    limits: ServerLimits = NETWORK_LIMITS,
) -> BoundedServer:
    """port 0 picks a free port (see BoundedServer.address)."""
    return _make(app, limits, body_limit, spool_dir, {"host": address, "port": port})


def make_tls_server(
    app: WsgiApp,
    address: str,
    port: int,
    tls_context: ContextSource,
    *,
    body_limit: BodyLimit | None = None,
    spool_dir: Path | None = None,
    limits: ServerLimits = NETWORK_LIMITS,
) -> BoundedServer:
    """make_tcp_server with TLS: tls_context() is asked for each new connection."""
    listen = {"host": address, "port": port, "url_scheme": "https"}
    return _make(app, limits, body_limit, spool_dir, listen, tls_context)


def make_unix_server(
    app: WsgiApp,
    path: Path,
    *,
    body_limit: BodyLimit | None = None,
    spool_dir: Path | None = None,
    limits: ServerLimits = LOCAL_LIMITS,
) -> BoundedServer:
    """A root-only (0600) socket at path; every request on it is marked local."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    settings = {"unix_socket": str(path), "unix_socket_perms": "600"}
    return _make(local_app(app), limits, body_limit, spool_dir, settings)


def local_app(app: WsgiApp) -> WsgiApp:
    def marked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[LOCAL_ENVIRON_KEY] = True
        environ["REMOTE_ADDR"] = "local"
        return app(environ, start_response)

    return marked


def serve_in_thread(server: BoundedServer, name: str) -> threading.Thread:
    """The thread runs the event loop; it is alive as long as the server serves."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


def _make(
    app: WsgiApp,
    limits: ServerLimits,
    body_limit: BodyLimit | None,
    spool_dir: Path | None,
    listen: dict[str, Any],
    tls_context: ContextSource | None = None,
) -> BoundedServer:
    spool = spool_dir or Path("/data/orpheus/spool")
    clear_spool(spool)
    bounds = RequestBounds(
        body_limit=body_limit or json_only,
        spool_dir=spool,
        header_timeout=limits.header_timeout_seconds,
        body_grace=limits.body_grace_seconds,
        min_body_rate=limits.min_body_bytes_per_second,
    )
    adj = BoundedAdjustments(
        bounds,
        threads=limits.threads,
        connection_limit=limits.connections,
        channel_timeout=limits.idle_timeout_seconds,
        cleanup_interval=1,
        max_request_header_size=limits.max_header_bytes,
        inbuf_overflow=limits.memory_buffer_bytes,
        backlog=limits.backlog,
        ident="orpheus",
        asyncore_use_poll=True,  # select() stops at 1024 descriptors
        **listen,
    )
    _allow_descriptors(limits.connections)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(limits.threads)
    socket_map: dict[int, Any] = {}
    if adj.unix_socket:
        sockinfo = (socket.AF_UNIX, socket.SOCK_STREAM, None, None)
        server = BoundedUnixServer(
            app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=sockinfo
        )
    elif tls_context is not None:
        server = BoundedTlsServer(
            app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0],
            tls_context=tls_context, handshake_timeout=limits.handshake_timeout_seconds,
        )  # fmt: skip
    else:
        listening = adj.listen[0]
        server = BoundedTcpServer(
            app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=listening
        )
    return BoundedServer(server, dispatcher, socket_map)


_descriptors_wanted = SPARE_DESCRIPTORS


def _allow_descriptors(connections: int) -> None:
    """Raises the soft descriptor limit (systemd's default is 1024) so the connection caps of
    every server made can be reached: past it accept() fails and the listening socket stays
    readable."""
    global _descriptors_wanted
    _descriptors_wanted += connections
    needed = _descriptors_wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))
        log.info("descriptor limit raised from %d to %d", soft, max(soft, target))
