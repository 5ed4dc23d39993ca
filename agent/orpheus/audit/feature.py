"""HTTP API of the audit log: GET /api/v1/audit?since=<ISO date or time>."""

from __future__ import annotations

import datetime
from typing import Any

import bottle

from orpheus.api.app import Api, ApiError
from orpheus.api.schema import string
from orpheus.audit.log import AuditLog


def parse_since(text: str) -> str:
    """An ISO date or date-time as the UTC text the audit log stores."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise ApiError(400, f"since: not an ISO date or time: {text!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds")


class AuditFeature:
    name = "audit"

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/audit",
            self.entries,
            area="audit",
            summary="The audit log: every change with its kind, user, time, before and after",
            query={"since": string(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[0-9T:.+Z-]*$", max_length=40)},
            response={"type": "array", "items": {"type": "object"}},
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._audit.close()

    def entries(self) -> list[dict[str, Any]]:
        since = bottle.request.query.get("since")
        return self._audit.read(parse_since(since) if since else None)
