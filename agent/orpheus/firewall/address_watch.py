"""Tells the firewall soon after an address of the unit comes or goes, so that `local`
follows at once (a DHCP lease at boot, an admin's change) rather than at the next poll:
`ip -o monitor address` prints a line per change, each line one cheap refresh (a refresh
that finds nothing new applies nothing). The poll of local.REFRESH_SECONDS stays as the
backstop if `ip monitor` cannot run or ends."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import IO

from orpheus import runner

log = logging.getLogger(__name__)

COMMAND = ("ip", "-o", "monitor", "address")
STOP_SECONDS = 5.0


class AddressWatch:
    def __init__(self, on_change: Callable[[], object]) -> None:
        self._on_change = on_change
        self._child: runner.Child | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        try:
            with os.fdopen(write_fd, "wb") as sink:  # the child keeps its own copy
                self._child = runner.spawn(COMMAND, output=sink)
        except runner.CommandError as error:
            os.close(read_fd)
            log.warning("addresses not watched (%s): local follows them every poll", error)
            return
        lines = os.fdopen(read_fd, "rb")
        self._thread = threading.Thread(target=self._read, args=(lines,),
                                        name="firewall-addresses", daemon=True)  # fmt: skip
        self._thread.start()

    def stop(self) -> None:
        if self._child is not None:
            self._child.terminate()
            try:
                self._child.wait(STOP_SECONDS)
            except runner.CommandError as error:
                log.warning("ip monitor: %s", error)
        if self._thread is not None:
            self._thread.join(STOP_SECONDS)
        self._child = self._thread = None

    def _read(self, lines: IO[bytes]) -> None:
        with lines:
            for _ in lines:
                try:
                    self._on_change()
                except Exception:  # the watch must outlive one failed refresh
                    log.exception("firewall refresh after an address change failed")
        log.info("ip monitor ended: local follows the addresses every poll")
