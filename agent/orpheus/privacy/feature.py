"""/api/v1/privacy: the privacy password, the key pair it guards, the identity's export.

Every request that gives a privacy password (a change, an export, a recording's download)
goes through unlock(): wrong ones are counted per source address like the admin password's
(api/login_limit.py, its own table: 5 within a minute block the address, 1 s doubling up to
15 min, without running scrypt) and each one goes to the audit log.
"""

from __future__ import annotations

import logging
import sqlite3

import bottle

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api, ApiError, json_body
from orpheus.api.login_limit import Block, LoginLimiter
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.privacy import age
from orpheus.privacy.keys import PasswordRefused, PasswordTooShort, PrivacyKeys, WrongPassword

log = logging.getLogger(__name__)

PASSWORD = string(max_length=256, minLength=1)
STATE = obj(
    {
        "password_set": {"type": "boolean"},
        "recipient": {"type": ["string", "null"]},
        "set_at": {"type": ["string", "null"]},
        "changed_at": {"type": ["string", "null"]},
    },
    ("password_set", "recipient", "set_at", "changed_at"),
)


def _source() -> str:
    if bottle.request.environ.get(LOCAL_ENVIRON_KEY):
        return "console"
    return str(bottle.request.environ.get("REMOTE_ADDR") or "unknown")


class PrivacyFeature:
    name = "privacy"

    def __init__(self, keys: PrivacyKeys, audit: AuditSink) -> None:
        self.keys = keys
        self._audit = audit
        self.limiter = LoginLimiter(on_block=self._record_block)

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/privacy",
            self.show,
            area="recordings",
            response=STATE,
            summary="Whether the privacy password is set, and the recordings' public key",
        )
        api.route(
            "PUT",
            "/api/v1/privacy",
            self.set_password,
            area="recordings",
            response=STATE,
            summary="Set the privacy password (first time: makes the key pair) or change it",
            body=obj({"password": PASSWORD, "old_password": PASSWORD}, ("password",)),
        )
        api.route(
            "POST",
            "/api/v1/privacy/identity",
            self.export_identity,
            area="recordings",
            summary="The private key (age identity) for safe keeping; needs the password",
            body=obj({"password": PASSWORD}, ("password",)),
            response=obj({"identity": {"type": "string"}}, ("identity",)),
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def show(self) -> dict[str, object]:
        state = self.keys.state()
        return {
            "password_set": state.password_set,
            "recipient": state.recipient,
            "set_at": state.set_at,
            "changed_at": state.changed_at,
        }

    def set_password(self) -> dict[str, object]:
        body = json_body()
        old = body.get("old_password")
        self._check_blocked()
        try:
            before = self.keys.state()
            state = self.keys.set_password(str(body["password"]), old)
        except WrongPassword as error:
            self._wrong("privacy.set-password")
            raise ApiError(403, str(error)) from error
        except PasswordRefused as error:
            raise ApiError(409, str(error)) from error
        except PasswordTooShort as error:
            raise ApiError(400, str(error)) from error
        self.limiter.succeeded(_source())
        change = "privacy.password-change" if before.password_set else "privacy.password-set"
        self._append(
            AuditEntry(
                change,
                "privacy key",
                request_user(),
                {"recipient": before.recipient},
                {"recipient": state.recipient},
            )
        )
        return self.show()

    def export_identity(self) -> dict[str, object]:
        identity = self.unlock(str(json_body()["password"]), "privacy.identity-export")
        self._append(
            AuditEntry(
                "privacy.identity-export",
                "privacy key",
                request_user(),
                None,
                {"recipient": self.keys.state().recipient},
            )
        )
        return {"identity": age.identity_text(identity)}

    def unlock(self, password: str | None, purpose: str) -> bytes:
        """The private key for this request, or an ApiError (403 wrong, 429 blocked)."""
        self._check_blocked()
        if not self.keys.state().password_set:
            raise ApiError(409, "no privacy password is set")
        if not password:
            raise ApiError(403, "the privacy password is needed")
        try:
            identity = self.keys.identity(password)
        except WrongPassword as error:
            self._wrong(purpose)
            raise ApiError(403, str(error)) from error
        self.limiter.succeeded(_source())
        return identity

    def _check_blocked(self) -> None:
        wait = self.limiter.retry_after(_source())
        if wait is not None:
            bottle.response.set_header("Retry-After", str(wait))
            raise ApiError(
                429, f"too many wrong privacy passwords from {_source()}: refused for {wait} s more"
            )

    def _wrong(self, purpose: str) -> None:
        source = _source()
        self._append(
            AuditEntry(
                "privacy.wrong-password",
                "privacy key",
                request_user(),
                None,
                {"source": source, "for": purpose},
            )
        )
        self.limiter.failed(source)

    def _record_block(self, block: Block) -> None:
        self._append(
            AuditEntry(
                "privacy.password-blocked",
                f"address {block.address}",
                f"anonymous ({block.address})",
                None,
                {"wrong_passwords": block.wrong_passwords, "blocked_seconds": block.seconds},
            )
        )

    def _append(self, entry: AuditEntry) -> None:
        try:
            self._audit.append(entry)
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit %s: %s", entry.change, error)
