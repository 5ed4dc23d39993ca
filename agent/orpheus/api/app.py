"""The bottle application: declared routes, JSON in and out, one error shape, admin auth.

Requests that arrive on the root-only Unix socket come from orpheusctl on the unit itself and
are trusted; everything on TCP needs a user (HTTP Basic, an API token or a log-in session,
api/authentication.py) whose level may read or change the route's declared area. Every
route declares what it takes (api/schema.py); a request that does not match is answered 400
before its handler runs, a changing request that is not JSON (or an upload where the route
takes one) is 415, and an unexpected exception is logged with a request id and answered 500
as JSON.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import bottle

from orpheus.api import openapi
from orpheus.api.authentication import Authenticator, Principal, Refused
from orpheus.api.login_limit import LoginLimiter
from orpheus.api.password_checks import PasswordCheckGate
from orpheus.api.schema import (
    CHANGING_METHODS,
    DEFAULT_MAX_BODY,
    JSON,
    PATH_PARAMETER,
    UPLOAD,
    CompiledDeclaration,
    Declaration,
    RequestInvalid,
    RouteInfo,
    check,
    parse_json,
)
from orpheus.api.stream import Stream
from orpheus.api.user_login_limit import UserLoginLimiter
from orpheus.auth import PasswordStore
from orpheus.files import DiskFull
from orpheus.users.levels import AREAS, OWN, LevelRefused
from orpheus.users.sessions import SessionStore
from orpheus.users.store import UserStore

log = logging.getLogger(__name__)

LOCAL_ENVIRON_KEY = "orpheus.local"
BODY_ENVIRON_KEY = "orpheus.body"
REQUEST_ID_HEADER = "X-Request-Id"
OPENAPI_PATH = "/api/v1/openapi.json"
Handler = Callable[..., Any]


class ApiError(Exception):
    """An error answered to the client as {"error": message} with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_body() -> dict[str, Any]:
    """The request's body, already checked against its route's declaration."""
    body = bottle.request.environ.get(BODY_ENVIRON_KEY)
    if body is None:
        try:
            body = parse_json(bottle.request.body.read())
        except RequestInvalid as error:
            raise ApiError(400, str(error)) from error
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return body


class Api:
    def __init__(
        self,
        passwords: PasswordStore,
        login_limiter: LoginLimiter | None = None,
        *,
        users: UserStore | None = None,
        sessions: SessionStore | None = None,
        user_limiter: UserLoginLimiter | None = None,
        password_gate: PasswordCheckGate | None = None,
    ) -> None:
        self.passwords = passwords
        self.login_limiter = login_limiter or LoginLimiter()
        self.users = users or UserStore(passwords)
        self.sessions = sessions or SessionStore()
        self.users.on_revoke(self.sessions.revoke_user)
        self.authenticator = Authenticator(
            self.users, self.sessions, self.login_limiter,
            user_limiter or UserLoginLimiter(), password_gate or PasswordCheckGate(),
        )  # fmt: skip
        self.app = bottle.Bottle()
        self.app.config["catchall"] = False  # errors reach _answer, which logs them
        self.app.default_error_handler = self._bottle_error
        self._write_guards: list[Callable[[str], str | None]] = []
        self.routes: list[RouteInfo] = []
        self.route(
            "GET", OPENAPI_PATH, self._openapi, auth=False, area="dashboard",
            summary="This description",
        )  # fmt: skip

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

    def route(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        area: str,
        auth: bool = True,
        password_change: bool = False,
        declaration: Declaration | None = None,
        **declared: Any,
    ) -> None:
        """Registers handler; its return value (dict or list) is sent as JSON.

        area: what part of the unit the route reads (GET) or changes (other methods), checked
        against the user's level (users/levels.py); OWN for what every user may do for
        themselves. password_change: allowed to a session whose password must change.
        What the route takes comes as a Declaration or as its fields (body=, query=, ...).
        """
        if area not in AREAS and area != OWN:
            raise ValueError(f"{method} {path}: unknown area {area!r}")
        compiled = CompiledDeclaration.compile(declaration or Declaration(**declared))
        undeclared = set(PATH_PARAMETER.findall(path)) ^ set(compiled.declaration.params)
        if undeclared:
            raise ValueError(f"{method} {path}: declare path parameter(s) {sorted(undeclared)}")
        self.routes.append(RouteInfo(method, path, auth, compiled.declaration, area))

        def wrapper(**params: str) -> str | Iterable[bytes]:
            return self._answer(method, compiled, auth, handler, params, area, password_change)

        self.app.route(path, method, wrapper, orpheus_declaration=compiled.declaration)

    def _answer(
        self,
        method: str,
        compiled: CompiledDeclaration,
        auth: bool,
        handler: Handler,
        params: dict[str, str],
        area: str,
        password_change: bool,
    ) -> str | Iterable[bytes]:
        bottle.response.content_type = JSON
        request_id = uuid.uuid4().hex[:12]
        bottle.response.set_header(REQUEST_ID_HEADER, request_id)
        try:
            if auth:  # the one place where who may do what is checked
                principal = self._authenticate()
                self.authenticator.authorize(
                    principal, method, area, password_change=password_change
                )
            self._check_request(method, compiled, params)
            self._check_write_guards(method, bottle.request.path)
            result = handler(**params)
            bottle.response.status = compiled.declaration.status
            if isinstance(result, Stream):  # checked and authorised: the bytes go as they come
                bottle.response.content_type = result.content_type
                bottle.response.set_header("Content-Length", str(result.length))
                return result.chunks
        except ApiError as error:
            bottle.response.status = error.status
            result = {"error": one_line(error.message)}
        except LevelRefused as error:  # a user or level change refused by its store
            bottle.response.status = error.status
            result = {"error": one_line(str(error))}
        except Refused as error:
            bottle.response.status = error.status
            for name, value in error.headers.items():
                bottle.response.set_header(name, value)
            result = {"error": one_line(error.message)}
        except DiskFull as error:  # nothing was changed: 507 Insufficient Storage
            bottle.response.status = 507
            result = {"error": one_line(str(error))}
        except Exception:  # an unexpected failure: the client gets JSON, the log the traceback
            log.exception("request %s (%s %s) failed", request_id, method, bottle.request.path)
            bottle.response.status = 500
            result = {"error": f"internal error (request {request_id})", "request_id": request_id}
        return json.dumps(result)

    def _check_request(
        self, method: str, compiled: CompiledDeclaration, params: dict[str, str]
    ) -> None:
        declaration = compiled.declaration
        try:
            check(compiled.params, params, "path")
            if method in CHANGING_METHODS and self._is_upload(declaration):
                check(compiled.upload_query, dict(bottle.request.query), "query")
                return
            check(compiled.query, dict(bottle.request.query), "query")
            if method in CHANGING_METHODS:
                self._require_json()
                body = parse_json(_read_body(declaration.max_body))
                check(compiled.body, body, "body")
                bottle.request.environ[BODY_ENVIRON_KEY] = body
        except RequestInvalid as error:
            raise ApiError(400, str(error)) from error

    @staticmethod
    def _is_upload(declaration: Declaration) -> bool:
        return declaration.upload_limit is not None and bottle.request.content_type.startswith(
            UPLOAD
        )

    @staticmethod
    def _require_json() -> None:
        kind = bottle.request.content_type.split(";")[0].strip().lower()
        if kind != JSON:
            shown = kind or "none"
            raise ApiError(415, f"Content-Type must be {JSON} (got {shown})")

    def _authenticate(self) -> Principal:
        if bottle.request.environ.get(LOCAL_ENVIRON_KEY):
            return self.authenticator.console()
        return self.authenticator.authenticate(request_address())

    def body_limit(self, method: str, path: str, content_type: str = JSON) -> int:
        """The largest body the route at (method, path) takes; the server refuses more."""
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
        try:
            route, _ = self.app.router.match(environ)
        except bottle.HTTPError:
            return DEFAULT_MAX_BODY
        declaration: Declaration = route.config["orpheus_declaration"]
        if declaration.upload_limit is not None and content_type.startswith(UPLOAD):
            return declaration.upload_limit()
        return declaration.max_body

    def _openapi(self) -> dict[str, Any]:
        return openapi.describe(self.routes)

    @staticmethod
    def _bottle_error(error: bottle.HTTPError) -> str:
        bottle.response.content_type = JSON
        return json.dumps({"error": str(error.body or error.status_line)})


def request_address() -> str:
    return str(bottle.request.environ.get("REMOTE_ADDR") or "unknown")


def one_line(message: str) -> str:
    """An error is one line: a control character a refused value brought along is escaped."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], message)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _read_body(limit: int) -> bytes:
    if bottle.request.content_length > limit:
        raise ApiError(413, f"request body over {limit} bytes")
    raw = bottle.request.body.read(limit + 1)
    if len(raw) > limit:  # chunked, no length given
        raise ApiError(413, f"request body over {limit} bytes")
    return bytes(raw)
