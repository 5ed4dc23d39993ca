"""Admin account: changing the per-unit password (PUT /api/v1/admin/password)."""

from __future__ import annotations

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.schema import obj, string
from orpheus.auth import PasswordStore, WeakPassword


class AdminFeature:
    name = "admin"

    def __init__(self, passwords: PasswordStore) -> None:
        self._passwords = passwords

    def install_routes(self, api: Api) -> None:
        api.route(
            "PUT",
            "/api/v1/admin/password",
            self.set_password,
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
            self._passwords.set(password)
        except WeakPassword as error:
            raise ApiError(400, str(error)) from error
        return {"changed": True}
