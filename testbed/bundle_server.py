"""A file server on 127.0.0.1 with HTTP Range support (what RAUC's streaming needs).

The guest reaches it as 10.0.2.2 through QEMU's user networking. It counts the bytes it
sends, so a test or benchmark can tell how much of a bundle a streamed install downloaded,
and the GET requests of each name. A swapped name answers its first GET with one bundle and
every later request with another: a server that passes the checks with one and installs the
other.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GUEST_HOST_ADDRESS = "10.0.2.2"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
# The longest a stalled answer holds its connection open (the unit gives up after 60 s).
STALL_SECONDS = 300.0


class BundleServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.bytes_sent = 0
        self.gets: dict[str, int] = {}
        self._swaps: dict[str, list[Path]] = {}
        self._stalls: dict[str, tuple[Path, int]] = {}
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def guest_url(self, name: str) -> str:
        return f"http://{GUEST_HOST_ADDRESS}:{self.port}/{name}"

    def count(self, sent: int) -> None:
        with self._lock:
            self.bytes_sent += sent

    def swap(self, name: str, first: Path, then: Path) -> None:
        """name answers its first GET from first, every request after it from then."""
        with self._lock:
            self._swaps[name] = [first, then]

    def serves(self, name: str, method: str) -> Path | None:
        """The file a request for name is answered from (a GET is counted)."""
        with self._lock:
            if method == "GET":
                self.gets[name] = self.gets.get(name, 0) + 1
            queue = self._swaps.get(name)
            if queue is not None:
                path = queue[0]
                if method == "GET" and len(queue) > 1:
                    queue.pop(0)
                return path
        path = self.directory / name
        return path if path.is_file() and path.parent == self.directory else None

    def stall(self, name: str, bundle: Path, after: int) -> None:
        """name answers a GET with bundle's first `after` bytes, then sends nothing more
        while keeping the connection open (until the server closes, at most STALL_SECONDS)."""
        with self._lock:
            self._stalls[name] = (bundle, after)

    def stalled(self, name: str) -> tuple[Path, int] | None:
        with self._lock:
            return self._stalls.get(name)

    def hold(self) -> None:
        """Keeps a stalled answer's connection open until the server closes."""
        self._closing.wait(STALL_SECONDS)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _target(self) -> Path | None:
                return server.serves(self.path.lstrip("/").split("?")[0], self.command)

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                stalled = server.stalled(self.path.lstrip("/"))
                if stalled is not None:
                    self._stall(body, *stalled)
                    return
                path = self._target()
                if path is None:
                    self.send_error(404)
                    return
                size = path.stat().st_size
                start, end = 0, size - 1
                match = _RANGE.match(self.headers.get("Range", ""))
                if match:
                    start = int(match.group(1))
                    end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                else:
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(end - start + 1))
                self.end_headers()
                if body:
                    with path.open("rb") as handle:
                        handle.seek(start)
                        data = handle.read(end - start + 1)
                    self.wfile.write(data)
                    server.count(len(data))

            def _stall(self, body: bool, path: Path, after: int) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                if body:
                    with path.open("rb") as handle:
                        self.wfile.write(handle.read(after))
                    self.wfile.flush()
                    server.count(after)
                    server.hold()

        return Handler
