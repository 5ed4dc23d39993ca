"""A TCP port on the host that leads to a port inside a network namespace with only loopback:
`python -m testbed.netns_forward FD PORT`, run inside the namespace (ip netns exec), accepts
on the listening socket FD it inherits (made on the host, so it stays in the host's namespace)
and joins each connection to 127.0.0.1:PORT there.

The browser tests reach chromedriver in a unit's namespace this way, with no veth pair and no
address to choose: the socket's namespace is the one it was made in, whoever accepts on it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

from testbed.paths import SOURCE_DIR

_CHUNK = 65536


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    except OSError:
        pass  # either end went away: the other is closed below
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _join(client: socket.socket, port: int) -> None:
    try:
        target = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:  # nothing listens there (yet): the client sees its connection closed
        client.close()
        return
    with client, target:
        target.settimeout(None)
        back = threading.Thread(target=_pump, args=(target, client), daemon=True)
        back.start()
        _pump(client, target)
        back.join()


def main() -> None:
    fd, port = int(sys.argv[1]), int(sys.argv[2])
    listener = socket.socket(fileno=fd)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_join, args=(client, port), daemon=True).start()


@contextlib.contextmanager
def forwarded_port(netns: str, port: int) -> Iterator[int]:
    """A port on the host's 127.0.0.1 that leads to 127.0.0.1:port in netns."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    fd = listener.fileno()
    child = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            netns,
            sys.executable,
            "-m",
            "testbed.netns_forward",
            str(fd),
            str(port),
        ],
        pass_fds=[fd],
        env={**os.environ, "PYTHONPATH": str(SOURCE_DIR)},
    )
    try:
        yield int(listener.getsockname()[1])
    finally:
        child.terminate()
        child.wait(10)
        listener.close()


if __name__ == "__main__":
    main()
