"""The bottle application: JSON in and out, one error shape, admin authentication.

Requests that arrive on the root-only Unix socket come from orpheusctl on the unit itself and
are trusted; everything on TCP needs the admin password (HTTP Basic).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import bottle

from orpheus.auth import PasswordStore
from orpheus.files import DiskFull

log = logging.getLogger(__name__)

LOCAL_ENVIRON_KEY = "orpheus.local"
Handler = Callable[..., Any]


class ApiError(Exception):
    """An error answered to the client as {"error": message} with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_body() -> dict[str, Any]:
    try:
        body = json.loads(bottle.request.body.read() or b"{}")
    except ValueError as error:
        raise ApiError(400, f"request body is not valid JSON: {error}") from error
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return body


class Api:
    def __init__(self, passwords: PasswordStore) -> None:
        self.passwords = passwords
        self.app = bottle.Bottle(catchall=False)
        self.app.default_error_handler = self._bottle_error  # type: ignore[method-assign]
        self._write_guards: list[Callable[[str], str | None]] = []

    def add_write_guard(self, guard: Callable[[str], str | None]) -> None:
        """guard(path) answers a refusal for changing requests (not GET), e.g. on an HA Slave."""
        self._write_guards.append(guard)

    def _check_write_guards(self, method: str, path: str) -> None:
        if method == "GET":
            return
        for guard in self._write_guards:
            refusal = guard(path)
            if refusal:
                raise ApiError(409, refusal)

    def route(self, method: str, path: str, handler: Handler, *, auth: bool = True) -> None:
        """Registers handler; its return value (dict or list) is sent as JSON."""

        def wrapper(**kwargs: Any) -> str:
            bottle.response.content_type = "application/json"
            try:
                if auth:
                    self._authenticate()
                self._check_write_guards(method, bottle.request.path)
                result = handler(**kwargs)
            except ApiError as error:
                bottle.response.status = error.status
                result = {"error": error.message}
            except DiskFull as error:  # nothing was changed: 507 Insufficient Storage
                bottle.response.status = 507
                result = {"error": str(error)}
            return json.dumps(result)

        self.app.route(path, method, wrapper)

    def _authenticate(self) -> None:
        if bottle.request.environ.get(LOCAL_ENVIRON_KEY):
            return
        credentials = bottle.request.auth
        if credentials is None or not self.passwords.check(*credentials):
            bottle.response.set_header("WWW-Authenticate", 'Basic realm="orpheus"')
            raise ApiError(401, "authentication required")

    @staticmethod
    def _bottle_error(error: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        return json.dumps({"error": str(error.body or error.status_line)})
