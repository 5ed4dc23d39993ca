"""Health-gated commit: the booted slot is marked good only once the unit is healthy.

Until then GRUB counts the boot attempts of the slot (3 tries) and falls back to the other
slot by itself, which also covers a kernel or userspace that hangs before the agent runs.

On the first boot of a freshly installed (or rolled back to) slot the gate is strict: if the
checks do not pass within the deadline, the slot is marked bad and the unit reboots into the
previous one. On any other boot an unhealthy unit is only reported, never rolled back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from orpheus.api.app import Api
from orpheus.update.state import UpdateState, now_iso

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 2.0


class CommitFeature:
    name = "commit"

    def __init__(
        self,
        healthy: Callable[[], tuple[bool, str]],
        mark: Callable[[str, str], str],
        deadline_seconds: float,
        *,
        state: UpdateState | None = None,
        booted_slot: str | None = None,
        boot_id: Callable[[], str] = lambda: "",
        reboot: Callable[[], None] = lambda: None,
    ) -> None:
        self._healthy = healthy
        self._mark = mark
        self._deadline = deadline_seconds
        self._state = state
        self._booted = booted_slot
        self._boot_id = boot_id
        self._reboot = reboot
        self._stop = threading.Event()
        self.result: str = "pending"

    def install_routes(self, api: Api) -> None:
        pass

    def start(self) -> None:
        threading.Thread(target=self._run, name="slot-commit", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def trial(self) -> dict[str, Any] | None:
        """The pending install or rollback if this boot is its first try, else None."""
        if self._state is None:
            return None
        pending = self._state.read()["pending"]
        if not pending or pending.get("boot_id") == self._boot_id():
            return None  # nothing pending, or not rebooted since the install
        if pending.get("slot") != self._booted:
            self._bootloader_fell_back(pending)
            return None
        return dict(pending)

    def _bootloader_fell_back(self, pending: dict[str, Any]) -> None:
        slot = pending.get("slot")
        reason = (
            f"firmware {pending.get('version')} on slot {slot} never came up healthy: "
            f"the bootloader fell back to slot {self._booted} after its boot attempts"
        )
        log.error("%s", reason)
        try:
            self._mark("bad", "other")
        except Exception as error:  # noqa: BLE001 - record the rollback even so
            log.error("could not mark slot %s bad: %s", slot, error)
        self._record_rollback("bootloader", pending, reason)

    def _record_rollback(self, kind: str, pending: dict[str, Any], reason: str) -> None:
        if self._state is None:
            raise RuntimeError("rollback recorded without an update state")
        rollback = {
            "kind": kind,
            "from_slot": pending.get("slot"),
            "from_version": pending.get("version"),
            "to_slot": pending.get("from_slot"),
            "to_version": pending.get("from_version"),
            "reason": reason,
            "at": now_iso(),
        }
        self._state.update(pending=None, last_rollback=rollback)

    def _run(self) -> None:
        trial = self.trial()
        give_up_at = time.monotonic() + self._deadline
        reason = "not checked"
        while time.monotonic() < give_up_at and not self._stop.is_set():
            ok, reason = self._healthy()
            if ok:
                self._commit(trial)
                return
            self._stop.wait(CHECK_INTERVAL_SECONDS)
        if self._stop.is_set():
            return
        self.result = f"not committed: unhealthy for {self._deadline:.0f} s ({reason})"
        log.error("booted slot %s", self.result)
        if trial is not None:
            self._roll_back(trial, reason)

    def _roll_back(self, trial: dict[str, Any], reason: str) -> None:
        message = (
            f"firmware {trial.get('version')} on slot {self._booted} failed its health checks "
            f"within {self._deadline:.0f} s ({reason}): marked bad, rebooting into slot "
            f"{trial.get('from_slot')}"
        )
        log.error("%s", message)
        self._record_rollback("automatic", trial, message)
        try:
            self._mark("bad", "booted")
        finally:
            self.result = "rolled back"
            self._reboot()

    def _commit(self, trial: dict[str, Any] | None) -> None:
        try:
            message = self._mark("good", "booted")
        except Exception as error:  # noqa: BLE001 - RAUC or D-Bus missing must not stop the agent
            self.result = f"mark-good failed: {error}"
            log.error("%s", self.result)
            return
        self.result = "committed"
        log.info("booted slot marked good: %s", message)
        if trial is not None and self._state is not None:
            committed = {**trial, "committed_at": now_iso()}
            self._state.update(pending=None, last_commit=committed)
