"""Health-gated commit: the booted slot is marked good only once the unit is healthy.

Until then GRUB counts the boot attempts of the slot (3 tries) and falls back to the other
slot by itself, which also covers a kernel or userspace that hangs before the agent runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from orpheus.api.app import Api

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 2.0


class CommitFeature:
    name = "commit"

    def __init__(
        self,
        healthy: Callable[[], tuple[bool, str]],
        mark_good: Callable[[], str],
        deadline_seconds: float,
    ) -> None:
        self._healthy = healthy
        self._mark_good = mark_good
        self._deadline = deadline_seconds
        self._stop = threading.Event()
        self.result: str = "pending"

    def install_routes(self, api: Api) -> None:
        pass

    def start(self) -> None:
        threading.Thread(target=self._run, name="slot-commit", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        give_up_at = time.monotonic() + self._deadline
        reason = "not checked"
        while time.monotonic() < give_up_at and not self._stop.is_set():
            ok, reason = self._healthy()
            if ok:
                self._commit()
                return
            self._stop.wait(CHECK_INTERVAL_SECONDS)
        self.result = f"not committed: unhealthy for {self._deadline:.0f} s ({reason})"
        log.error("booted slot %s", self.result)

    def _commit(self) -> None:
        try:
            message = self._mark_good()
        except Exception as error:  # noqa: BLE001 - RAUC or D-Bus missing must not stop the agent
            self.result = f"mark-good failed: {error}"
            log.error("%s", self.result)
            return
        self.result = "committed"
        log.info("booted slot marked good: %s", message)
