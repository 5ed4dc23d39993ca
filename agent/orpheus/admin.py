"""Admin account: changing the per-unit password (PUT /api/v1/admin/password).

The password goes through the user store (users/store.py): checked for strength (zxcvbn),
and the admin's log-in sessions end. It counts as the admin's own change (the installer's
`orpheusctl admin password` at first boot): no forced change at the next log-in.
"""

from __future__ import annotations

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.auth import ADMIN_USER
from orpheus.users.levels import LevelRefused
from orpheus.users.store import UserStore


class AdminFeature:
    name = "admin"

    def __init__(self, users: UserStore, audit: AuditSink | None = None) -> None:
        self._users = users
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route(
            "PUT",
            "/api/v1/admin/password",
            self.set_password,
            area="users",
            summary="Change the admin password",
            body=obj({"password": string(max_length=128)}, ("password",)),
            response=obj({"changed": {"type": "boolean"}}, ("changed",)),
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def set_password(self) -> dict[str, object]:
        password = json_body().get("password")
        if not isinstance(password, str):
            raise ApiError(400, "field 'password' (string) is required")
        try:
            self._users.set_user(ADMIN_USER, password=password, own=True)
        except LevelRefused as error:
            raise ApiError(error.status, str(error)) from error
        if self._audit is not None:
            changed = {"password": "changed"}
            self._audit.append(
                AuditEntry("user.password", "user admin", request_user(), None, changed)
            )
        return {"changed": True}
