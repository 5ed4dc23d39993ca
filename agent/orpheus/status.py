"""Health and status of the unit: GET /api/v1/health and GET /api/v1/status."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from orpheus import __version__, host
from orpheus.api.app import Api, ApiError
from orpheus.api.schema import obj
from orpheus.asterisk.monitor import AsteriskMonitor, AsteriskState
from orpheus.config import AgentConfig
from orpheus.firmware import BootInfo, Release

# A cached Asterisk answer older than this many poll intervals no longer proves it is up.
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class UnitStatus:
    """GET /api/v1/status as one typed object (SNMP reads the firmware part)."""

    release: Release
    agent_version: str
    board: str | None
    booted_slot: str | None
    host: host.HostFigures
    asterisk: AsteriskState
    alarms: tuple[str, ...]
    weak_passwords: int = 0  # stored SIP passwords below the zxcvbn floor
    registered: Mapping[str, int] | None = None  # phones and trunks registered; None: unknown
    tls_fingerprint: str | None = None  # SHA-256 of the certificate served over HTTPS

    def to_dict(self) -> dict[str, object]:
        figures = self.host
        return {
            "version": self.release.version,
            "build_date": self.release.build_date,
            "commit": self.release.commit,
            "agent_version": self.agent_version,
            "board": self.board,
            "booted_slot": self.booted_slot,
            "uptime_seconds": figures.uptime_seconds,
            "load": list(figures.load),
            "memory": {
                "total_bytes": figures.memory_total_bytes,
                "available_bytes": figures.memory_available_bytes,
            },
            "storage": {"root": host.as_dict(figures.root), "data": host.as_dict(figures.data)},
            "asterisk": self.asterisk.as_dict(),
            "alarms": list(self.alarms),
            "weak_passwords": self.weak_passwords,
            "registered": dict(self.registered) if self.registered is not None else None,
            "tls_fingerprint": self.tls_fingerprint,
        }


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
        self._weak_passwords: Callable[[], int] = lambda: 0
        self._registered: Callable[[], Mapping[str, int] | None] = lambda: None
        self._tls_fingerprint: Callable[[], str | None] = lambda: None

    def add_alarm_source(self, source: Callable[[], list[str]]) -> None:
        """A feature's current alarms (one line each), listed under "alarms" in the status."""
        self._alarm_sources.append(source)

    def set_weak_password_count(self, source: Callable[[], int]) -> None:
        """How many stored SIP passwords are weak (GET /api/v1/status's weak_passwords)."""
        self._weak_passwords = source

    def set_registration_counts(self, source: Callable[[], Mapping[str, int] | None]) -> None:
        """Phones and trunks registered now (GET /api/v1/status's registered)."""
        self._registered = source

    def set_tls_fingerprint(self, source: Callable[[], str | None]) -> None:
        """The HTTPS certificate's fingerprint (GET /api/v1/status's tls_fingerprint)."""
        self._tls_fingerprint = source

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/health",
            self.health_response,
            area="dashboard",
            auth=False,
            summary="Whether the agent and Asterisk are up (503 when not)",
            response=obj({"ok": {"const": True}}, ("ok",)),
        )
        api.route(
            "GET",
            "/api/v1/status",
            self.status,
            area="dashboard",
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

    def snapshot(self) -> UnitStatus:
        return UnitStatus(
            release=self._release,
            agent_version=__version__,
            board=self._boot.board,
            booted_slot=self._boot.slot,
            host=host.collect(self._config.data_dir),
            asterisk=self._asterisk.state,
            alarms=tuple(alarm for source in self._alarm_sources for alarm in source()),
            weak_passwords=self._weak_passwords(),
            registered=self._registered(),
            tls_fingerprint=self._tls_fingerprint(),
        )

    def status(self) -> dict[str, object]:
        return self.snapshot().to_dict()
