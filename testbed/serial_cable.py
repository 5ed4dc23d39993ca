"""A station's serial cable that the test can pull: a TCP relay between the station (pyserial's
socket://) and a QEMU unit's serial console socket, cut on demand mid-provisioning."""

from __future__ import annotations

import selectors
import socket
import threading
from types import TracebackType


class SerialCable:
    """Relays one station connection to the unit's console at a time until cut()."""

    def __init__(self, unit_port: int) -> None:
        self.unit_port = unit_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._cut = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="serial-cable", daemon=True)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def __enter__(self) -> SerialCable:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cut()
        self._thread.join(timeout=10)

    def cut(self) -> None:
        """Pulled: both ends see the connection end; nothing more is relayed."""
        self._cut.set()
        self._listener.close()

    def _serve(self) -> None:
        try:
            station, _ = self._listener.accept()
        except OSError:  # cut before the station came
            return
        with station, socket.create_connection(("127.0.0.1", self.unit_port), timeout=10) as unit:
            self._relay(station, unit)

    def _relay(self, station: socket.socket, unit: socket.socket) -> None:
        peers = {station: unit, unit: station}
        with selectors.DefaultSelector() as selector:
            for end in peers:
                selector.register(end, selectors.EVENT_READ)
            while not self._cut.is_set():
                for key, _ in selector.select(timeout=0.2):
                    if self._cut.is_set():  # pulled while waiting: not a byte more
                        return
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    peers[source].sendall(data)
