"""HTTP API of users, levels, tokens and log-in sessions; every change goes to the audit log
with the user who made it (api/requester.py: the authenticated user, or the console's)."""

from __future__ import annotations

from typing import Any

import bottle

from orpheus.api.app import Api, ApiError, json_body, request_address
from orpheus.api.authentication import CONSOLE, SESSION, Principal, Refused, current_principal
from orpheus.api.requester import request_user
from orpheus.api.schema import Schema, obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.users.levels import AREAS, NAME_PATTERN, OWN, RIGHTS, allows, method_needs
from orpheus.users.sessions import COOKIE, Session
from orpheus.users.store import UserStore

NAME = string(NAME_PATTERN, max_length=32, error="a lowercase letter, then letters, digits, _.-")
PASSWORD = string(max_length=128)
RIGHTS_SCHEMA = obj({area: {"enum": list(RIGHTS)} for area in AREAS})
USER: Schema = obj(
    {"name": NAME, "level": NAME, "enabled": {"type": "boolean"},
     "must_change_password": {"type": "boolean"}, "tokens": {"type": "array", "items": NAME}},
    ("name", "level", "enabled", "must_change_password", "tokens"),
)  # fmt: skip
LEVEL: Schema = obj(
    {"name": NAME, "builtin": {"type": "boolean"}, "rights": RIGHTS_SCHEMA},
    ("name", "builtin", "rights"),
)
TOKEN: Schema = obj({"name": NAME, "user": NAME, "created": {"type": "string"}},
                    ("name", "user", "created"))  # fmt: skip
SESSION_ANSWER: Schema = obj(
    {"user": {"type": "string"}, "level": NAME, "via": {"type": "string"}, "rights": RIGHTS_SCHEMA,
     "must_change_password": {"type": "boolean"}, "csrf_token": {"type": "string"},
     "idle_timeout_seconds": {"type": "number"}, "max_age_seconds": {"type": "number"}},
    ("user", "via", "must_change_password"),
)  # fmt: skip


class UsersFeature:
    name = "users"

    def __init__(self, api: Api, audit: AuditSink) -> None:
        self._api = api
        self._users: UserStore = api.users
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        self._install_users(api)
        self._install_levels(api)
        self._install_tokens(api)
        self._install_session(api)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    # --- routes ----------------------------------------------------------------------------

    def _install_users(self, api: Api) -> None:
        one, key = "/api/v1/users/<name>", {"name": NAME}
        listed = {"type": "array", "items": USER}
        api.route("GET", "/api/v1/users", self._users.users, area="users",
                  summary="Every admin user", response=listed)  # fmt: skip
        api.route("POST", "/api/v1/users", self.add_user, area="users", status=201,
                  summary="Add a user (they change the password at their first log-in)",
                  body=obj({"name": NAME, "password": PASSWORD, "level": NAME,
                            "enabled": {"type": "boolean"}}, ("name", "password", "level")),
                  response=USER)  # fmt: skip
        api.route("GET", one, self._users.user, area="users", params=key,
                  summary="One user", response=USER)  # fmt: skip
        api.route("PUT", one, self.set_user, area="users", params=key,
                  summary="Change a user's password, level or enabled flag (ends their sessions)",
                  body=obj({"password": PASSWORD, "level": NAME, "enabled": {"type": "boolean"}}),
                  response=USER)  # fmt: skip
        api.route("DELETE", one, self.delete_user, area="users", params=key,
                  summary="Delete a user", response=USER)  # fmt: skip

    def _install_levels(self, api: Api) -> None:
        one, key = "/api/v1/levels/<name>", {"name": NAME}
        api.route("GET", "/api/v1/levels", self._users.levels, area="users",
                  summary="Every admin level and its rights per area",
                  response={"type": "array", "items": LEVEL})  # fmt: skip
        api.route("POST", "/api/v1/levels", self.add_level, area="users", status=201,
                  summary="Add a level: per area none, read or change (unnamed areas: none)",
                  body=obj({"name": NAME, "rights": RIGHTS_SCHEMA}, ("name", "rights")),
                  response=LEVEL)  # fmt: skip
        api.route("GET", one, self._users.level, area="users", params=key,
                  summary="One level", response=LEVEL)  # fmt: skip
        api.route("PUT", one, self.set_level, area="users", params=key,
                  summary="Replace a level's rights",
                  body=obj({"rights": RIGHTS_SCHEMA}, ("rights",)), response=LEVEL)  # fmt: skip
        api.route("DELETE", one, self.delete_level, area="users", params=key,
                  summary="Delete a level no user has", response=LEVEL)  # fmt: skip

    def _install_tokens(self, api: Api) -> None:
        user_query = {"user": NAME}
        api.route("GET", "/api/v1/tokens", self.tokens, area=OWN, query=user_query,
                  summary="The API tokens of a user (yours by default)",
                  response={"type": "array", "items": TOKEN})  # fmt: skip
        api.route("POST", "/api/v1/tokens", self.add_token, area=OWN, status=201,
                  summary="A new API token, shown in this answer only (Authorization: Bearer)",
                  body=obj({"name": NAME, "user": NAME}, ("name",)),
                  response=obj({**TOKEN["properties"], "token": {"type": "string"}},
                               ("name", "user", "created", "token")))  # fmt: skip
        api.route("DELETE", "/api/v1/tokens/<name>", self.delete_token, area=OWN,
                  params={"name": NAME}, query=user_query, summary="Revoke an API token",
                  response=TOKEN)  # fmt: skip

    def _install_session(self, api: Api) -> None:
        api.route("POST", "/api/v1/session", self.log_in, area=OWN, auth=False,
                  summary="Log in: a session cookie and its CSRF token (X-CSRF-Token)",
                  body=obj({"name": NAME, "password": PASSWORD}, ("name", "password")),
                  response=SESSION_ANSWER)  # fmt: skip
        api.route("GET", "/api/v1/session", self.whoami, area=OWN, password_change=True,
                  summary="Who is asking, with which rights", response=SESSION_ANSWER)  # fmt: skip
        api.route("DELETE", "/api/v1/session", self.log_out, area=OWN, password_change=True,
                  summary="Log out: the session is revoked",
                  response=obj({"logged_out": {"type": "boolean"}}, ("logged_out",)))  # fmt: skip
        api.route("PUT", "/api/v1/session/password", self.change_own_password, area=OWN,
                  password_change=True, summary="Change your own password",
                  body=obj({"current_password": PASSWORD, "password": PASSWORD},
                           ("current_password", "password")),
                  response=SESSION_ANSWER)  # fmt: skip

    # --- users and levels ------------------------------------------------------------------

    def add_user(self) -> dict[str, Any]:
        body = json_body()
        added = self._users.add_user(
            body["name"], body["password"], body["level"], enabled=body.get("enabled", True)
        )
        self._record("user.create", f"user {added['name']}", None, added)
        return added

    def set_user(self, name: str) -> dict[str, Any]:
        body = json_body()
        before = self._users.user(name)
        after = self._users.set_user(
            name, password=body.get("password"), level=body.get("level"),
            enabled=body.get("enabled"), own=_principal().name == name,
        )  # fmt: skip
        shown = {**after, **({"password": "changed"} if "password" in body else {})}
        self._record("user.change", f"user {name}", before, shown)
        return after

    def delete_user(self, name: str) -> dict[str, Any]:
        before = self._users.delete_user(name)
        self._record("user.delete", f"user {name}", before, None)
        return before

    def add_level(self) -> dict[str, Any]:
        body = json_body()
        added = self._users.add_level(body["name"], body["rights"])
        self._record("level.create", f"level {added['name']}", None, added)
        return added

    def set_level(self, name: str) -> dict[str, Any]:
        before = self._users.level(name)
        after = self._users.set_level(name, json_body()["rights"])
        self._record("level.change", f"level {name}", before, after)
        return after

    def delete_level(self, name: str) -> dict[str, Any]:
        before = self._users.delete_level(name)
        self._record("level.delete", f"level {name}", before, None)
        return before

    # --- tokens ----------------------------------------------------------------------------

    def tokens(self) -> list[dict[str, Any]]:
        return self._users.tokens(self._token_user(bottle.request.query.get("user")))

    def add_token(self) -> dict[str, Any]:
        body = json_body()
        created = self._users.add_token(self._token_user(body.get("user")), body["name"])
        shown = {key: value for key, value in created.items() if key != "token"}
        self._record("token.create", f"token {created['name']} of {created['user']}", None, shown)
        return created

    def delete_token(self, name: str) -> dict[str, Any]:
        gone = self._users.delete_token(self._token_user(bottle.request.query.get("user")), name)
        self._record("token.delete", f"token {name} of {gone['user']}", gone, None)
        return gone

    def _token_user(self, named: str | None) -> str:
        """Whose tokens: your own, or another user's with the right to the users area."""
        principal = _principal()
        user = named or principal.name
        if not user:
            raise ApiError(400, "the console has no user of its own: name one (user)")
        if user != principal.name and principal.via != CONSOLE:
            need = method_needs(bottle.request.method)
            if not allows(principal.rights, "users", need):
                raise ApiError(403, f"user {principal.name!r} may not {need} area 'users'")
        return user

    # --- sessions --------------------------------------------------------------------------

    def log_in(self) -> dict[str, Any]:
        body = json_body()
        try:
            account = self._api.authenticator.log_in(
                body["name"], body["password"], request_address()
            )
        except Refused as error:  # a form's wrong password: no Basic prompt in the browser
            headers = {k: v for k, v in error.headers.items() if k != "WWW-Authenticate"}
            raise Refused(error.status, error.message, headers) from error
        session = self._api.sessions.open(account.name)
        _set_cookie(session)
        return self._session_answer(account.name, SESSION, session)

    def whoami(self) -> dict[str, Any]:
        principal = _principal()
        return self._session_answer(principal.name, principal.via, None)

    def log_out(self) -> dict[str, Any]:
        session = _principal().session
        if session is None:
            return {"logged_out": False}
        self._api.sessions.close(session.id)
        bottle.response.delete_cookie(COOKIE, path="/", secure=True, httponly=True)
        return {"logged_out": True}

    def change_own_password(self) -> dict[str, Any]:
        principal = _principal()
        if principal.via == CONSOLE:
            raise ApiError(400, "the console has no password of its own: orpheusctl user set")
        body = json_body()
        self._api.authenticator.log_in(principal.name, body["current_password"], request_address())
        self._users.set_user(principal.name, password=body["password"], own=True)  # ends sessions
        self._record("user.password", f"user {principal.name}", None, {"password": "changed"})
        session = None
        if principal.via == SESSION:  # this one goes on under a new id
            session = self._api.sessions.open(principal.name)
            _set_cookie(session)
        return self._session_answer(principal.name, principal.via, session)

    def _session_answer(self, name: str, via: str, session: Session | None) -> dict[str, Any]:
        answer: dict[str, Any] = {"user": name, "via": via, "must_change_password": False}
        account = self._users.account(name) if name else None
        if account is not None:
            rights = {area: account.rights.get(area, "none") for area in AREAS}
            answer.update(
                level=account.level, must_change_password=account.must_change_password,
                rights=rights,
            )  # fmt: skip
        if session is not None:
            limits = self._api.sessions.limits
            answer.update(csrf_token=session.csrf_token, idle_timeout_seconds=limits.idle_seconds,
                          max_age_seconds=limits.max_seconds)  # fmt: skip
        return answer

    def _record(self, change: str, what: str, before: Any, after: Any) -> None:
        self._audit.append(AuditEntry(change, what, request_user(), before, after))


def _principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise ApiError(401, "authentication required")
    return principal


def _set_cookie(session: Session) -> None:
    bottle.response.set_cookie(
        COOKIE, session.id, path="/", secure=True, httponly=True, samesite="strict"
    )
