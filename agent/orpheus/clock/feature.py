"""GET/PUT /api/v1/time: the time zone and NTP servers, audited, applied by restarting
systemd-timesyncd (it reads its configuration only at start); GET /api/v1/time/zones lists
the zones for the wizard. Time is each unit's own (not synced in an HA pair)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orpheus import runner
from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import Schema, obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.clock.settings import (
    HOST_PATTERN,
    MAX_NTP_SERVERS,
    ZONE_PATTERN,
    TimeInvalid,
    TimeStore,
    from_dict,
    zones,
)

log = logging.getLogger(__name__)

AREA = "network"  # system configuration, like the address and the certificate
APPLY_TIMEOUT_SECONDS = 20.0
SETTINGS: dict[str, Schema] = {
    "timezone": string(ZONE_PATTERN, max_length=124, error="an IANA zone name, e.g. Europe/Rome"),
    "ntp_servers": {
        "type": "array", "maxItems": MAX_NTP_SERVERS,
        "items": string(HOST_PATTERN, max_length=253, error="a host name or an address"),
    },
}  # fmt: skip
ANSWER = obj({**SETTINGS, "now": string(max_length=40), "synchronized": {"type": "boolean"},
              "applied": {"type": "boolean"}, "apply_error": string(max_length=2000)},
             ("timezone", "ntp_servers", "now"))  # fmt: skip
ZONES = obj({"zones": {"type": "array", "items": string(max_length=124)}}, ("zones",))


class TimeFeature:
    name = "time"

    def __init__(
        self,
        store: TimeStore,
        apply_command: Sequence[str],
        synchronized_marker: Path,
        audit: AuditSink,
    ) -> None:
        self._store = store
        self._apply_command = list(apply_command)
        self._synchronized_marker = synchronized_marker
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route("GET", "/api/v1/time", self.show, area=AREA,
                  summary="The time zone, the NTP servers, the time now (UTC) and whether "
                  "systemd-timesyncd has synchronized the clock", response=ANSWER)  # fmt: skip
        api.route("PUT", "/api/v1/time", self.change, area=AREA,
                  summary="The time zone (IANA name) and NTP servers (none: only DHCP's, if any); "
                  "applied at once", body=obj(SETTINGS), response=ANSWER)  # fmt: skip
        api.route("GET", "/api/v1/time/zones", self.zones, area=AREA,
                  summary="The time zones this unit knows", response=ZONES)  # fmt: skip

    def start(self) -> None:
        try:
            self._store.ensure_written()
        except OSError as error:  # the image's UTC and timesyncd's defaults still serve
            log.error("time settings not written: %s", error)

    def stop(self) -> None:
        pass

    def show(self) -> dict[str, Any]:
        return {**self._store.load().as_dict(), **self._clock()}

    def zones(self) -> dict[str, Any]:
        return {"zones": list(zones(self._store.zoneinfo))}

    def change(self) -> dict[str, Any]:
        before = self._store.load()
        # A field left out keeps its value: the wizard may set the zone alone.
        try:
            settings = from_dict({**before.as_dict(), **json_body()}, self._store.zoneinfo)
        except TimeInvalid as error:
            raise ApiError(400, str(error)) from error
        self._store.save(settings)
        self._audit.append(AuditEntry("time.change", "time", request_user(),
                                      before.as_dict(), settings.as_dict()))  # fmt: skip
        answer: dict[str, Any] = {**settings.as_dict(), "applied": True}
        failure = self._apply()
        if failure is not None:  # saved: it applies at the next boot
            answer.update(applied=False, apply_error=failure)
        return {**answer, **self._clock()}

    def _clock(self) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        # timesyncd touches this file once it has synchronized the clock (systemd >= 239).
        return {"now": now, "synchronized": self._synchronized_marker.exists()}

    def _apply(self) -> str | None:
        if not self._apply_command:
            return None
        try:
            runner.run(self._apply_command, timeout=APPLY_TIMEOUT_SECONDS)
        except runner.CommandError as error:
            log.warning("time settings saved, not applied: %s", error)
            return str(error)
        return None
