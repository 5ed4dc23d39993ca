"""Health and status of the unit: GET /api/v1/health and GET /api/v1/status."""

from __future__ import annotations

import time
from collections.abc import Callable

from orpheus import __version__, host
from orpheus.api.app import Api, ApiError
from orpheus.api.schema import obj
from orpheus.asterisk.monitor import AsteriskMonitor
from orpheus.config import AgentConfig
from orpheus.firmware import BootInfo, Release

# A cached Asterisk answer older than this many poll intervals no longer proves it is up.
STALE_AFTER_INTERVALS = 3


class StatusFeature:
    name = "status"

    def __init__(
        self, config: AgentConfig, release: Release, boot: BootInfo, asterisk: AsteriskMonitor
    ) -> None:
        self._config = config
        self._release = release
        self._boot = boot
        self._asterisk = asterisk
        self._alarm_sources: list[Callable[[], list[str]]] = []

    def add_alarm_source(self, source: Callable[[], list[str]]) -> None:
        """A feature's current alarms (one line each), listed under "alarms" in the status."""
        self._alarm_sources.append(source)

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/health",
            self.health_response,
            auth=False,
            summary="Whether the agent and Asterisk are up (503 when not)",
            response=obj({"ok": {"const": True}}, ("ok",)),
        )
        api.route(
            "GET",
            "/api/v1/status",
            self.status,
            summary="Firmware, unit and host figures",
            response={"type": "object", "required": ["version", "board", "asterisk"]},
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def healthy(self) -> tuple[bool, str]:
        state = self._asterisk.state
        max_age = STALE_AFTER_INTERVALS * self._config.asterisk_poll_seconds
        if not state.running:
            return False, f"Asterisk is not answering: {state.error}"
        if time.time() - state.checked_at > max_age:
            return False, "Asterisk has not been checked recently"
        return True, "ok"

    def health_response(self) -> dict[str, object]:
        ok, reason = self.healthy()
        if not ok:
            raise ApiError(503, reason)
        return {"ok": True}

    def status(self) -> dict[str, object]:
        figures = host.collect(self._config.data_dir)
        return {
            "version": self._release.version,
            "build_date": self._release.build_date,
            "commit": self._release.commit,
            "agent_version": __version__,
            "board": self._boot.board,
            "booted_slot": self._boot.slot,
            "uptime_seconds": figures.uptime_seconds,
            "load": list(figures.load),
            "memory": {
                "total_bytes": figures.memory_total_bytes,
                "available_bytes": figures.memory_available_bytes,
            },
            "storage": {"root": host.as_dict(figures.root), "data": host.as_dict(figures.data)},
            "asterisk": self._asterisk.state.as_dict(),
            "alarms": [alarm for source in self._alarm_sources for alarm in source()],
        }
