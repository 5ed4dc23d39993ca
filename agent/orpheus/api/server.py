"""Threaded WSGI servers: TCP for the network, a Unix socket for the local CLI."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from orpheus.api.app import LOCAL_ENVIRON_KEY

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)


class _LocalHandler(_QuietHandler):
    def address_string(self) -> str:
        return "local"

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[LOCAL_ENVIRON_KEY] = True
        environ["REMOTE_ADDR"] = "local"
        return environ


class ThreadingTCPServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class ThreadingUnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer, WSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:
        socketserver.UnixStreamServer.server_bind(self)
        Path(self.server_address).chmod(0o600)
        self.server_name = "localhost"
        self.server_port = 0
        self.setup_environ()

    def get_request(self) -> tuple[socket.socket, Any]:
        request, _ = self.socket.accept()
        return request, ("local", 0)


def make_tcp_server(app: Any, address: str, port: int) -> WSGIServer:
    return make_server(address, port, app, ThreadingTCPServer, _QuietHandler)


def make_unix_server(app: Any, path: Path) -> WSGIServer:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    server = ThreadingUnixServer(str(path), _LocalHandler)
    server.set_app(app)
    return server


def serve_in_thread(server: WSGIServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread
