"""HTTP API of call actions.

POST   /api/v1/calls        {from, to, caller_id?}: ring the extension, then dial `to` (202)
GET    /api/v1/calls        the calls in progress: channels, parties, duration, trunk
DELETE /api/v1/calls/<id>   hang up every channel of a call
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.asterisk.adapter import Asterisk, Originate
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.asterisk.parsers import Channel
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.calls import active, dialing, schemas
from orpheus.licensing.active import Licensing
from orpheus.pbx.records import Record
from orpheus.pbx.render import CALL_GROUP
from orpheus.pbx.store import Config

log = logging.getLogger(__name__)


class CallsFeature:
    name = "calls"

    def __init__(
        self,
        asterisk: Asterisk,
        rendered_config: Callable[[], Config],
        licensing: Licensing,
        audit: AuditSink,
    ) -> None:
        self._asterisk = asterisk
        self._config = rendered_config
        self._licensing = licensing
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route(
            "POST",
            "/api/v1/calls",
            self.start_call,
            area="pbx",
            status=202,
            summary="Start a call: ring the extension `from`, then dial `to` from it",
            body=schemas.START,
            response=schemas.STARTED,
        )
        api.route(
            "GET",
            "/api/v1/calls",
            self.list_calls,
            area="pbx",
            summary="The calls in progress",
            response=schemas.CALLS,
        )
        api.route(
            "DELETE",
            "/api/v1/calls/<call_id>",
            self.hang_up,
            area="pbx",
            params={"call_id": schemas.CALL_ID_PARAM},
            summary="Hang up a call in progress",
            response=schemas.HUNG_UP,
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    # -- API ---------------------------------------------------------------------------------
    def start_call(self) -> dict[str, Any]:
        body = json_body()
        caller, number = str(body["from"]), str(body["to"])
        extension, route = self._destination(caller, number)
        counted = self._check_limit(route)
        self._check_registered(caller)
        shown = _caller_id(body.get("caller_id", {}), extension)
        call_id = secrets.token_hex(16)
        request = Originate(f"PJSIP/{caller}", dialing.CONTEXT, number, shown, call_id)
        try:
            self._asterisk.originate(request)
        except AsteriskUnavailable as error:
            raise ApiError(503, f"Asterisk did not take the call: {error}") from error
        answer = {
            "id": call_id,
            "from": caller,
            "to": number,
            "caller_id": shown,
            "route": {"kind": route.kind, "name": route.name, "trunks": list(route.trunks)},
            "counted": counted,
        }
        self._audit.append(
            AuditEntry("call.start", f"call {call_id}", request_user(), None, answer)
        )
        log.info("call %s: %s rings, then dials %s", call_id, caller, number)
        return answer

    def list_calls(self) -> dict[str, Any]:
        return {"calls": [call.as_dict() for call in active.calls(self._channels())]}

    def hang_up(self, call_id: str) -> dict[str, Any]:
        channels = [c for c in self._channels() if c.linked_id == call_id]
        if not channels:
            raise ApiError(404, f"no call {call_id} in progress")
        for channel in channels:  # one gone already ended with the others: not an error
            self._asterisk.hangup(channel.name)
        answer = {"id": call_id, "hung_up": [c.name for c in channels]}
        self._audit.append(
            AuditEntry("call.hangup", f"call {call_id}", request_user(), None, answer)
        )
        return answer

    # -- internals ---------------------------------------------------------------------------
    def _destination(self, caller: str, number: str) -> tuple[Record, dialing.Route]:
        """The extension that rings first and where its call goes; refused as the dialplan
        would refuse it, before anything rings."""
        config = self._config()
        extension = config["extension"].get(caller)
        if extension is None:
            raise ApiError(404, f"from: no extension {caller}; nothing was dialled")
        if number == caller:
            raise ApiError(400, f"from and to are both {caller}; nothing was dialled")
        route = dialing.route(config, number)
        if route is None:
            raise ApiError(
                404,
                f"to: nothing answers {number} (no extension, queue or IVR menu has it and no "
                "outbound route's prefix matches); nothing was dialled",
            )
        return extension, route

    def _channels(self) -> list[Channel]:
        try:
            return self._asterisk.channels()
        except AsteriskUnavailable as error:
            raise ApiError(503, f"Asterisk does not answer: {error}") from error

    def _check_limit(self, route: dialing.Route) -> bool:
        """Whether the dialplan counts the call; a full limit refuses it before it rings (the
        dialplan refuses it anyway, after the extension answered)."""
        limits = self._licensing.entitlement.limits
        counted = not limits.external_calls_only or route.kind == "outbound"
        in_progress = self._asterisk.group_count(CALL_GROUP) if counted else None
        if in_progress is not None and in_progress >= limits.concurrent_calls:
            raise ApiError(
                409,
                f"refused: {limits.concurrent_calls} concurrent calls is the licence's limit "
                f"and {in_progress} are in progress; nothing was dialled",
            )
        return counted

    def _check_registered(self, extension: str) -> None:
        try:
            contacts = self._asterisk.pjsip_state().contacts.get(extension)
        except AsteriskUnavailable as error:
            raise ApiError(503, f"Asterisk does not answer: {error}") from error
        if contacts is None or not contacts.reachable:
            raise ApiError(
                409, f"from: extension {extension} has no registered phone; nothing was dialled"
            )


def _caller_id(given: dict[str, str], extension: Record) -> str:
    """What the rung phone and the destination see: by default the extension's own caller id,
    as on a call it dials; a number given alone shows no name."""
    name = given.get("name", "" if "number" in given else str(extension["name"]))
    return dialing.caller_id(name, given.get("number", str(extension["number"])))
