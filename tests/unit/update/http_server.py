"""A small HTTP server on 127.0.0.1 for the fetch and install tests: each path answers with
the next of its answers (the last one repeats), and every request is counted."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orpheus.update import destination, fetch


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    location: str = ""


@dataclass
class Server:
    port: int
    scheme: str = "http"
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def gets(self, path: str) -> int:
        return self.requests.count(("GET", path))


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    state = Server(0, "https" if tls else "http")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            state.requests.append((self.command, self.path))
            queue = state.answers.get(self.path) or [Answer(404)]
            answer = queue.pop(0) if body and len(queue) > 1 else queue[0]
            self.send_response(answer.status)
            if answer.location:
                self.send_header("Location", answer.location)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if body:
                self.wfile.write(answer.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def remote_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's server on 127.0.0.1 stands for a bundle server elsewhere: that one address
    is let through; every other check stays as on a unit (127.0.0.2 is still the unit)."""

    def refusal(host: str, address: str, local: destination.LocalAddresses) -> str | None:
        return None if address == "127.0.0.1" else destination.refusal(host, address, local)

    monkeypatch.setattr(fetch, "refusal", refusal)
