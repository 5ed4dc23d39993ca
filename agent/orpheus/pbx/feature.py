"""HTTP API of the PBX configuration (the audit log's route is orpheus.audit.feature).

GET    /api/v1/pbx                      usage of each limited figure
GET    /api/v1/pbx/<kind>               list (secrets redacted)
POST   /api/v1/pbx/<kind>               create; {"records": [...]} creates many at once
GET    /api/v1/pbx/<kind>/<key>         one record
PUT    /api/v1/pbx/<kind>/<key>         change the given fields
DELETE /api/v1/pbx/<kind>/<key>
Kinds: extension, trunk, queue, ivr, balancer, and the single `recording` settings record.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import Schema, obj, string
from orpheus.licensing.active import Entitlement, Licensing
from orpheus.pbx.apply import ApplyResult
from orpheus.pbx.configurator import ChangeRefused, ChangeResult, NotFound, PbxConfigurator
from orpheus.pbx.records import KINDS, Kind, RecordError
from orpheus.pbx.schemas import create_schema, record_schema, stored_record_schema
from orpheus.pbx.store import PbxStore
from orpheus.pbx.weak_passwords import WeakPasswordCount, warnings

log = logging.getLogger(__name__)


def _apply_answer(result: ApplyResult) -> dict[str, Any]:
    return {"applied": result.applied, "reloaded": list(result.reloaded), "detail": result.detail}


def _key_schema(kind: Kind) -> Schema:
    if kind.singleton:
        return {"type": "string", "const": kind.name}
    field = next(f for f in kind.fields if f.name == kind.key)
    return string(field.pattern.pattern if field.pattern else None, max_length=64)


def _change_answer(
    record: Schema | None, *, created: bool = False, deleted: bool = False
) -> Schema:
    properties: dict[str, Schema] = {
        "applied": {"type": "boolean"},
        "reloaded": {"type": "array", "items": {"type": "string"}},
        "detail": {"type": "string"},
    }
    if record is not None:
        properties["record"] = record
    if created:
        properties["created"] = {"type": "integer"}
    if deleted:
        properties["deleted"] = {"type": "boolean"}
    required = list(properties)
    # weak SIP passwords of the change: stored, but flagged (pbx/weak_passwords.py)
    properties["warnings"] = {"type": "array", "items": {"type": "string"}}
    return {"type": "object", "properties": properties, "required": required}


class PbxFeature:
    name = "pbx"

    def __init__(
        self, configurator: PbxConfigurator, store: PbxStore, licensing: Licensing
    ) -> None:
        self.configurator = configurator
        self._store = store
        self.weak_passwords = WeakPasswordCount(configurator.records_with_secrets)
        licensing.subscribe(self._licence_changed)

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/pbx",
            self.summary,
            area="pbx",
            summary="Usage of each limited figure",
            response=obj({"usage": {"type": "object"}}, ("usage",)),
        )
        for kind in KINDS.values():
            self._install_kind(api, kind)

    def _install_kind(self, api: Api, kind: Kind) -> None:
        base = f"/api/v1/pbx/{kind.name}"
        one = f"{base}/<key>"
        key = {"key": _key_schema(kind)}
        stored = stored_record_schema(kind)
        changed = _change_answer(stored)
        api.route(
            "GET",
            base,
            functools.partial(self.list_records, kind.name),
            area="pbx",
            summary=f"List the {kind.name} records",
            response={"type": "array", "items": stored},
        )
        api.route(
            "GET",
            one,
            functools.partial(self.show, kind.name),
            area="pbx",
            params=key,
            summary=f"One {kind.name} record",
            response=stored,
        )
        api.route(
            "PUT",
            one,
            functools.partial(self.update, kind.name),
            area="pbx",
            params=key,
            summary=f"Change the given fields of a {kind.name}",
            body=record_schema(kind, partial=True),
            response=changed,
        )
        if kind.singleton:
            return
        api.route(
            "POST",
            base,
            functools.partial(self.create, kind.name),
            area="pbx",
            summary=f'Add a {kind.name}, or many at once as {{"records": [...]}}',
            body=create_schema(kind),
            response={"anyOf": [changed, _change_answer(None, created=True)]},
        )
        api.route(
            "DELETE",
            one,
            functools.partial(self.delete, kind.name),
            area="pbx",
            params=key,
            summary=f"Delete a {kind.name}",
            response=_change_answer(None, deleted=True),
        )

    def start(self) -> None:
        result = self.configurator.reapply()
        log.info("PBX configuration rendered: %s", result.detail)

    def stop(self) -> None:
        self._store.close()

    def recording_settings(self) -> dict[str, Any]:
        """The `recording` settings record (enabled, storage), {} when none is set."""
        return dict(self._store.load().get("recording", {}).get("recording", {}))

    def configuration_synced(self, paths: list[Path]) -> None:
        """HA: the Master's configuration landed here (absolute paths of the changed files)."""
        asterisk_dir = self.configurator.asterisk_dir
        names = [str(p.relative_to(asterisk_dir)) for p in paths if p.is_relative_to(asterisk_dir)]
        result = self.configurator.adopt_synced(names)
        log.info("synced configuration in use (%s): %s", ", ".join(result.reloaded), result.detail)

    def _licence_changed(self, entitlement: Entitlement) -> None:
        result = self.configurator.reapply(entitlement)
        log.info("PBX configuration re-rendered for tier %s: %s", entitlement.tier, result.detail)

    @staticmethod
    def _guard(action: Any) -> Any:
        try:
            return action()
        except (RecordError, ChangeRefused) as error:
            raise ApiError(409 if isinstance(error, ChangeRefused) else 400, str(error)) from error
        except NotFound as error:
            raise ApiError(404, str(error.args[0])) from error

    def summary(self) -> dict[str, Any]:
        return {"usage": self.configurator.usage().to_dict()}

    def list_records(self, kind: str) -> list[dict[str, Any]]:
        return self._guard(lambda: self.configurator.records(kind))  # type: ignore[no-any-return]

    def show(self, kind: str, key: str) -> dict[str, Any]:
        return self._guard(lambda: self.configurator.record(kind, key))  # type: ignore[no-any-return]

    def create(self, kind: str) -> dict[str, Any]:
        body, user = json_body(), request_user()
        if isinstance(body.get("records"), list) and len(body) == 1:
            result = self._guard(lambda: self.configurator.create_many(kind, body["records"], user))
            flagged = warnings(kind, None, body["records"])
            return {"created": len(body["records"]), **_apply_answer(result), "warnings": flagged}
        change: ChangeResult = self._guard(lambda: self.configurator.create(kind, body, user))
        flagged = warnings(kind, None, [body])
        return {"record": change.record, **_apply_answer(change.apply), "warnings": flagged}

    def update(self, kind: str, key: str) -> dict[str, Any]:
        body, user = json_body(), request_user()
        change: ChangeResult = self._guard(lambda: self.configurator.update(kind, key, body, user))
        changed = [{**(change.record or {}), **body}] if "password" in body else []
        flagged = warnings(kind, key, changed)
        return {"record": change.record, **_apply_answer(change.apply), "warnings": flagged}

    def delete(self, kind: str, key: str) -> dict[str, Any]:
        user = request_user()
        change: ChangeResult = self._guard(lambda: self.configurator.delete(kind, key, user))
        return {"deleted": True, **_apply_answer(change.apply)}
