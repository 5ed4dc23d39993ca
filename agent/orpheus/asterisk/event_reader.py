"""A thread that follows one class of AMI events over a session of its own (the firewall's
security events, the call detail records), connecting again while Asterisk is away."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 2.0


class AmiEventReader:
    """Hands each message of event_class to on_message; on_connect runs once logged in, before
    the first message is read. `what` names it in the log."""

    def __init__(
        self,
        asterisk: Asterisk,
        event_class: str,
        what: str,
        on_message: Callable[[Mapping[str, str]], None],
        on_connect: Callable[[], None] = lambda: None,
    ) -> None:
        self._asterisk = asterisk
        self._event_class = event_class
        self._what = what
        self._on_message = on_message
        self._on_connect = on_connect
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"{event_class}-events", daemon=True
        )
        self.connected = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        said = ""
        while not self._stop.is_set():
            try:
                self._read()
            except (AsteriskUnavailable, OSError) as error:
                if self.connected or str(error) != said:  # each new reason once, not each retry
                    log.warning("%s: %s", self._what, error)
                said = str(error)
            self.connected = False
            self._stop.wait(RECONNECT_SECONDS)

    def _read(self) -> None:
        with self._asterisk.event_session(self._event_class) as session:
            self._on_connect()
            self.connected = True
            log.info("reading Asterisk's %s", self._what)
            while not self._stop.is_set():
                try:
                    message = session.next_message()
                except TimeoutError:  # a quiet unit; the buffer is intact
                    continue
                self._on_message(message)
