"""A bounded server of the agent's serving in a thread for the length of a test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from orpheus.api.server import BoundedServer, serve_in_thread


@contextlib.contextmanager
def running(server: BoundedServer, name: str = "test-http") -> Iterator[BoundedServer]:
    thread = serve_in_thread(server, name)
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(20)
        assert not thread.is_alive()
