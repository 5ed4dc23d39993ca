"""Who a request comes from, and what it may do: one place for every way in.

- the root-only Unix socket (orpheusctl on the unit): full rights, no password;
- `Authorization: Bearer <token>`: a user's API token (api/v1/tokens);
- HTTP Basic, as before, for any enabled user (the testbed and monitoring use `admin`);
- the session cookie of a log-in (POST /api/v1/session): a changing request needs the
  session's CSRF token in X-CSRF-Token and, when it carries an Origin, the unit's own origin;
  a session whose password must change may only change it (and log out).

Passwords are limited per source address (api/login_limit.py) and per user
(api/user_login_limit.py), and their scrypt checks bounded in number (api/password_checks.py).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

import bottle

from orpheus.api.login_limit import LoginLimiter
from orpheus.api.password_checks import ChecksBusy, PasswordCheckGate
from orpheus.api.user_login_limit import UserLoginLimiter
from orpheus.users.levels import ADMINISTRATOR_RIGHTS, OWN, allows, method_needs
from orpheus.users.sessions import COOKIE, CSRF_HEADER, Session, SessionStore
from orpheus.users.store import Account, UserStore

PRINCIPAL_ENVIRON_KEY = "orpheus.principal"
CONSOLE, BASIC, TOKEN, SESSION = "console", "basic", "token", "session"


class Refused(Exception):
    """Answered as {"error": message} with status (and headers, e.g. Retry-After)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Principal:
    name: str  # the user; "" on the console (the audit names the local user there)
    via: str
    rights: Mapping[str, str]
    must_change_password: bool = False
    session: Session | None = None


def current_principal() -> Principal | None:
    found = bottle.request.environ.get(PRINCIPAL_ENVIRON_KEY)
    return found if isinstance(found, Principal) else None


class Authenticator:
    def __init__(
        self,
        users: UserStore,
        sessions: SessionStore,
        address_limiter: LoginLimiter,
        user_limiter: UserLoginLimiter,
        gate: PasswordCheckGate,
    ) -> None:
        self.users = users
        self.sessions = sessions
        self.address_limiter = address_limiter
        self.user_limiter = user_limiter
        self.gate = gate

    def console(self) -> Principal:
        return self._remember(Principal("", CONSOLE, ADMINISTRATOR_RIGHTS))

    def authenticate(self, address: str) -> Principal:
        self._check_address(address)  # a blocked address is refused whatever it sends
        header = bottle.request.get_header("Authorization", "")
        if header[:7].lower() == "bearer ":
            return self._token(header[7:].strip(), address)
        credentials = bottle.request.auth
        if credentials is not None:
            account = self.log_in(credentials[0], credentials[1], address)
            return self._remember(
                Principal(account.name, BASIC, account.rights, account.must_change_password)
            )
        session_id = bottle.request.get_cookie(COOKIE)
        if session_id:
            return self._session(session_id)
        raise Refused(401, "authentication required", {"WWW-Authenticate": 'Basic realm="orpheus"'})

    def log_in(self, name: str, password: str, address: str, *, per_user: bool = True) -> Account:
        """The account of a right password, within the limits; Refused otherwise.
        per_user False: only the address's limit holds (the unit's own console, which a
        guesser on the network must not lock out with the per-user limit)."""
        self._check_address(address)
        wait = self.user_limiter.retry_after(name, address) if per_user else None
        if wait is not None:
            raise Refused(
                429,
                f"too many wrong passwords for user {name!r}: refused from addresses it has "
                f"not logged in from, for {wait} s more",
                {"Retry-After": str(wait)},
            )
        try:
            right = self.gate.run(lambda: self.users.check_password(name, password))
        except ChecksBusy as error:
            raise Refused(503, str(error), {"Retry-After": "1"}) from error
        account = self.users.account(name) if right else None
        if account is None:
            self.address_limiter.failed(address)
            if per_user:
                self.user_limiter.failed(name, address)
            raise Refused(
                401, "authentication required", {"WWW-Authenticate": 'Basic realm="orpheus"'}
            )
        self.address_limiter.succeeded(address)
        if per_user:
            self.user_limiter.succeeded(name, address)
        return account

    def authorize(
        self, principal: Principal, method: str, area: str, *, password_change: bool
    ) -> None:
        """403 with one line naming the area, the CSRF token or the origin; else nothing."""
        if principal.session is not None:
            self._check_session_request(principal, method, password_change)
        if area == OWN:
            return
        need = method_needs(method)
        if not allows(principal.rights, area, need):
            raise Refused(403, f"user {principal.name!r} may not {need} area '{area}'")

    def _check_session_request(
        self, principal: Principal, method: str, password_change: bool
    ) -> None:
        if principal.must_change_password and not password_change:
            raise Refused(403, "the password must be changed first (PUT /api/v1/session/password)")
        if method_needs(method) == "read":
            return
        assert principal.session is not None
        if not principal.session.csrf_matches(bottle.request.get_header(CSRF_HEADER)):
            raise Refused(403, f"a changing request of a session needs its {CSRF_HEADER} header")
        origin = bottle.request.get_header("Origin")
        if origin is not None and not _same_origin(origin):
            raise Refused(403, f"cross-origin request refused (Origin {origin[:100]!r})")

    def _check_address(self, address: str) -> None:
        wait = self.address_limiter.retry_after(address)
        if wait is not None:  # refused before the password is looked at: no scrypt run
            raise Refused(
                429,
                f"too many wrong passwords from {address}: its requests are refused, "
                f"the right password too, for {wait} s more",
                {"Retry-After": str(wait)},
            )

    def _token(self, secret: str, address: str) -> Principal:
        owner = self.users.token_owner(secret)
        account = self.users.account(owner[0]) if owner else None
        if account is None:
            self.address_limiter.failed(address)
            raise Refused(401, "unknown or revoked token")
        # A token is for programs: the forced password change is for people logging in.
        return self._remember(Principal(account.name, TOKEN, account.rights))

    def _session(self, session_id: str) -> Principal:
        session = self.sessions.find(session_id)
        account = self.users.account(session.user) if session else None
        if session is None or account is None:
            raise Refused(401, "session expired or revoked: log in again")
        return self._remember(
            Principal(account.name, SESSION, account.rights, account.must_change_password, session)
        )

    @staticmethod
    def _remember(principal: Principal) -> Principal:
        bottle.request.environ[PRINCIPAL_ENVIRON_KEY] = principal
        return principal


def _same_origin(origin: str) -> bool:
    """The Origin names the host the request was sent to (its Host header), any scheme."""
    parsed = urllib.parse.urlsplit(origin)
    host = bottle.request.get_header("Host")
    return bool(host) and parsed.scheme in ("http", "https") and parsed.netloc == host
