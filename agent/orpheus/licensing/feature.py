"""HTTP API of the unit's identity and licence.

GET /api/v1/license answers LicenceStatus.to_dict() (a stable shape; SNMP reads the object):
{
  "tier": "mini", "tier_title": "Mini", "board": "mini",
  "source": "board" | "license",          # base tier of the board, or a licence
  "license_id": str | null, "alarm": str | null,
  "limits": {"concurrent_calls": int, "external_calls_only": bool, "extensions": int|null,
             "trunks": int|null, "ivr_levels": int|null, "queues": int|null,
             "call_recording": bool, "balancer": bool, "high_availability": bool,
             "remote_extensions": bool, "callcenter": bool},        # null: unlimited
  "usage": {"concurrent_calls": int|null, "extensions": int, "trunks": int, "ivr_levels": int,
            "queues": int, "call_recording": bool, "balancer": int, "remote_extensions": int,
            "callcenter": int},                                     # null: Asterisk not running
  "addons": [str], "accepted_addons": [str],
  "update_support_until": "YYYY-MM-DD" | null, "update_support_days_left": int | null,
  "bound_to": {"serial": str, "fingerprint": str | null} | null
}
PUT /api/v1/license takes the licence document as its body.
GET /api/v1/identity; POST /api/v1/identity {"serial", "board", "manufactured"?, "force"?}
"""

from __future__ import annotations

import datetime
from typing import Any

import bottle

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import Schema, obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.licensing.active import Licensing
from orpheus.licensing.document import LicenseError
from orpheus.licensing.identity import IdentityError
from orpheus.licensing.status import Binding, LicenceStatus, UsageSource
from orpheus.licensing.tiers import TIERS

# A licence as the vendor tool writes it; its payload is checked by licensing/document.py
# after the signature, so only its shape is declared here.
LICENSE_DOCUMENT: Schema = obj(
    {
        "payload": {"type": "object", "maxProperties": 32},
        "signature": string(r"^[A-Za-z0-9+/=]{1,512}$", max_length=512),
    },
    ("payload", "signature"),
)
LICENSE_ANSWER: Schema = {
    "type": "object",
    "required": ["tier", "limits", "usage", "addons"],
    "properties": {
        "tier": {"type": "string"},
        "limits": {"type": "object"},
        "usage": {"type": "object"},
        "addons": {"type": "array", "items": {"type": "string"}},
    },
}
IDENTITY_REQUEST: Schema = obj(
    {
        "serial": string(r"^[A-Za-z0-9._-]{1,64}$", max_length=64),
        "board": string(r"^[a-z0-9]{1,16}$", max_length=16),
        "manufactured": string(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", max_length=10),
        "force": {"type": "boolean"},
    },
    ("serial", "board"),
)
IDENTITY_ANSWER: Schema = {
    "type": "object",
    "required": ["identity", "hardware_fingerprint", "matches_hardware"],
    "properties": {
        "identity": {"type": ["object", "null"]},
        "hardware_fingerprint": {"type": "string"},
        "matches_hardware": {"type": "boolean"},
        "seal": {"type": ["string", "null"]},
    },
}


class LicensingFeature:
    name = "licensing"

    def __init__(self, licensing: Licensing, usage: UsageSource, audit: AuditSink) -> None:
        self.licensing = licensing
        self._usage = usage
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/license",
            self.show,
            area="licence",
            summary="Tier, limits, usage, add-ons",
            response=LICENSE_ANSWER,
        )
        api.route(
            "PUT",
            "/api/v1/license",
            self.install,
            area="licence",
            summary="Install a signed licence",
            body=LICENSE_DOCUMENT,
            response=LICENSE_ANSWER,
        )
        api.route(
            "GET",
            "/api/v1/identity",
            self.identity,
            area="licence",
            summary="The factory identity",
            response=IDENTITY_ANSWER,
        )
        api.route(
            "POST",
            "/api/v1/identity",
            self.write_identity,
            area="licence",
            summary="Write the factory identity",
            body=IDENTITY_REQUEST,
            response=IDENTITY_ANSWER,
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def alarms(self) -> list[str]:
        alarms = [self.licensing.entitlement.alarm, self.licensing.seal_alarm()]
        return [alarm for alarm in alarms if alarm]

    def snapshot(self) -> LicenceStatus:
        current = self.licensing.entitlement
        support = self.licensing.update_support_until()
        license_ = current.license
        return LicenceStatus(
            tier=current.tier,
            board=current.board,
            source="license" if license_ else "board",
            license_id=license_.license_id if license_ else None,
            alarm=current.alarm,
            limits=current.limits,
            callcenter=current.callcenter,
            usage=self._usage(),
            addons=tuple(current.addons),
            accepted_addons=tuple(sorted(TIERS[current.tier].accepted_addons)),
            update_support_until=support,
            update_support_days_left=(
                max(0, (support - datetime.date.today()).days) if support else None
            ),
            bound_to=Binding(license_.serial, license_.fingerprint) if license_ else None,
        )

    def show(self) -> dict[str, object]:
        return self.snapshot().to_dict()

    def install(self) -> dict[str, Any]:
        raw = bottle.request.body.read()  # checked against LICENSE_DOCUMENT already
        before = self.show()
        keep = ("tier", "license_id", "addons", "limits", "update_support_until")

        def record() -> None:  # with the new licence in effect; a failure puts the old back
            after = self.show()
            self._audit.append(
                AuditEntry(
                    "license.install",
                    f"license {after['license_id']}",
                    request_user(),
                    {k: before[k] for k in keep},
                    {k: after[k] for k in keep},
                )
            )

        try:
            self.licensing.install(raw, record)
        except LicenseError as error:
            raise ApiError(400, str(error)) from error
        return self.show()

    def identity(self) -> dict[str, Any]:
        identity = self.licensing.identity
        hardware = self.licensing.hardware
        return {
            "identity": identity.as_dict() if identity else None,
            "hardware_fingerprint": hardware.fingerprint,
            "matches_hardware": bool(identity and identity.fingerprint == hardware.fingerprint),
            "seal": self.licensing.seal.value if self.licensing.seal else None,
        }

    def write_identity(self) -> dict[str, Any]:
        body = json_body()
        serial, board = body.get("serial"), body.get("board")
        if not isinstance(serial, str) or not isinstance(board, str):
            raise ApiError(400, "fields 'serial' and 'board' (strings) are required")
        try:
            manufactured = (
                datetime.date.fromisoformat(body["manufactured"])
                if body.get("manufactured")
                else None
            )
            identity = self.licensing.write_identity(
                serial, board, manufactured, bool(body.get("force"))
            )
        except (IdentityError, ValueError) as error:
            raise ApiError(400, str(error)) from error
        self._audit.append(
            AuditEntry("identity.write", f"unit {serial}", request_user(), None, identity.as_dict())
        )
        return self.identity()
