"""The pair channel's server: HTTPS on the sync port, mutual TLS with the pinned peer.

Before pairing it asks no client certificate and answers only POST /pair (authenticated by
the one-time code); once paired, a client that does not present the peer's certificate is
dropped during the TLS handshake.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024 * 1024
HANDSHAKE_TIMEOUT_SECONDS = 5.0
# A connection that sends nothing for this long is closed (its handler thread ends).
IDLE_TIMEOUT_SECONDS = 30.0


class PeerRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PeerHandlers(Protocol):
    def peer_pair(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]: ...

    def peer_state(self, peer_cert_der: bytes | None) -> dict[str, Any]: ...

    def peer_push(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        context: Callable[[], ssl.SSLContext],
        handlers: PeerHandlers,
    ) -> None:
        super().__init__(address, _Handler)
        self.context = context
        self.handlers = handlers

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
        try:
            tls = self.context().wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log.warning("pair channel: dropped connection from %s: %s", client_address[0], error)
            return
        tls.settimeout(IDLE_TIMEOUT_SECONDS)
        super().finish_request(tls, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("pair channel %s: %s", self.client_address[0], format % args)

    def do_GET(self) -> None:
        self._dispatch(lambda cert, _body: self.server.handlers.peer_state(cert), body=False)

    def do_POST(self) -> None:
        routes = {"/pair": self.server.handlers.peer_pair, "/push": self.server.handlers.peer_push}
        handler = routes.get(self.path)
        if handler is None:
            self._answer(404, {"error": f"no such path {self.path}"})
            return
        self._dispatch(lambda cert, body: handler(body, cert), body=True)

    def _dispatch(self, call: Callable[[bytes | None, dict[str, Any]], Any], body: bool) -> None:
        if not body and self.path != "/state":
            self._answer(404, {"error": f"no such path {self.path}"})
            return
        cert = self.connection.getpeercert(binary_form=True)
        try:
            payload = self._read_body() if body else {}
            self._answer(200, call(cert, payload))
        except PeerRequestError as error:
            self._answer(error.status, {"error": error.message})

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise PeerRequestError(413, "request too large")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as error:
            raise PeerRequestError(400, f"body is not JSON: {error}") from error
        if not isinstance(body, dict):
            raise PeerRequestError(400, "body must be a JSON object")
        return body

    def _answer(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class PeerServer:
    def __init__(
        self,
        address: str,
        port: int,
        context: Callable[[], ssl.SSLContext],
        handlers: PeerHandlers,
    ) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        _Server.address_family = family
        self._server = _Server((address, port), context, handlers)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ha-peer-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
