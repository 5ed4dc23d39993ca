"""HTTP API of the third-party AMI accounts, and the one writer of manager.conf.

GET    /api/v1/ami/users          the accounts (no secrets) and where AMI listens
POST   /api/v1/ami/users          add one: the unit draws its secret, shown in this answer only
DELETE /api/v1/ami/users/<name>

A change writes the account store and manager.conf together (all or nothing), then reloads
Asterisk's manager through its console; if the agent's own AMI login fails after that, both
files are put back. A refused account changes neither file.

In an HA pair the accounts are the pair's (third-party software logs in on the VIP, whichever
unit holds it): the store is synced from the Master, and each unit renders manager.conf from it
with its own agent login (never synced).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.ami_users import accounts, manager_conf, schemas, store
from orpheus.ami_users.accounts import AccountError, AmiAccount
from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.config_text import UnsafeValue
from orpheus.files import FileGroup
from orpheus.pbx.render import MANAGER_FILE

log = logging.getLogger(__name__)

SECRET_BYTES = 24  # 32 URL-safe characters


@dataclass(frozen=True)
class Applied:
    applied: bool  # False: Asterisk is not running; it reads manager.conf when it starts
    detail: str


class AmiUsersFeature:
    name = "ami_users"

    def __init__(
        self, state_dir: Path, asterisk_dir: Path, asterisk: Asterisk, audit: AuditSink
    ) -> None:
        if asterisk.manager_login is None:
            raise ValueError("manager.conf holds the agent's own AMI login: give Asterisk one")
        self._agent: ManagerLogin = asterisk.manager_login
        self._store_path = state_dir / store.STORE_FILE
        self._conf_path = asterisk_dir / MANAGER_FILE
        self._asterisk = asterisk
        self._audit = audit
        self._lock = threading.Lock()
        self._accounts = self._load()

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/ami/users",
            self.list_users,
            area="pbx",
            summary="Third-party AMI accounts (no secrets) and where AMI listens",
            response=schemas.USERS,
        )
        api.route(
            "POST",
            "/api/v1/ami/users",
            self.create,
            area="pbx",
            status=201,
            summary="Add an AMI account; its secret is in this answer only",
            body=schemas.CREATE,
            response=schemas.CREATED,
        )
        api.route(
            "DELETE",
            "/api/v1/ami/users/<name>",
            self.delete,
            area="pbx",
            params={"name": schemas.NAME_PARAM},
            summary="Delete an AMI account",
            response=schemas.DELETED,
        )

    def start(self) -> None:
        """manager.conf before the PBX starts: its changes go through the agent's AMI login."""
        with self._lock:
            self._render_accounts()

    def configuration_synced(self, paths: list[Path]) -> None:
        """HA sync listener: the Master's accounts landed; manager.conf is rendered from them,
        and the sessions of accounts it no longer has are ended."""
        if self._store_path not in paths:
            return
        with self._lock:
            before = {account.name for account in self._accounts}
            self._accounts = self._load()
            applied = self._render_accounts()
            if applied is not None and applied.applied:
                for name in before - {account.name for account in self._accounts}:
                    self._end_sessions(name)

    def _render_accounts(self) -> Applied | None:
        """manager.conf for the accounts held, reloaded when it changed (under the lock)."""
        try:
            text = manager_conf.render(self._agent, self._accounts)
        except UnsafeValue as error:  # written by hand or an older firmware: left as it is
            log.error("manager.conf not rendered: %s", error)
            return None
        if self._current() == text:
            return None
        with FileGroup() as group:
            self._stage_manager_conf(group, text)
            group.commit()
        applied = self._reload()
        log.info("manager.conf rendered: %s", applied.detail)
        return applied

    def stop(self) -> None:
        pass

    # -- API ---------------------------------------------------------------------------------
    def list_users(self) -> dict[str, Any]:
        return {
            "users": [account.public() for account in self._accounts],
            "listening": manager_conf.bind_address(self._accounts),
        }

    def create(self) -> dict[str, Any]:
        body = json_body()
        secret = secrets.token_urlsafe(SECRET_BYTES)
        with self._lock:
            try:
                account = accounts.account(
                    body["name"], secret, body["permit"], body["read"], body["write"]
                )
            except AccountError as error:
                raise ApiError(400, str(error)) from error
            if any(a.name == account.name for a in self._accounts):
                raise ApiError(409, f"AMI user {account.name!r} already exists")
            if len(self._accounts) >= accounts.MAX_ACCOUNTS:
                raise ApiError(409, f"at most {accounts.MAX_ACCOUNTS} AMI users")
            proposed = [*self._accounts, account]
            applied = self._change(proposed)
            self._audit.append(
                AuditEntry(
                    "ami_user.create", f"AMI user {account.name}", request_user(), None,
                    account.public(),
                )
            )  # fmt: skip
        return {
            "user": account.public(),
            "secret": secret,
            "listening": manager_conf.bind_address(proposed),
            "applied": applied.applied,
            "detail": applied.detail,
        }

    def delete(self, name: str) -> dict[str, Any]:
        with self._lock:
            found = next((a for a in self._accounts if a.name == name), None)
            if found is None:
                raise ApiError(404, f"no AMI user {name!r}")
            proposed = [a for a in self._accounts if a.name != name]
            applied = self._change(proposed)
            if applied.applied:
                self._end_sessions(name)
            self._audit.append(
                AuditEntry("ami_user.delete", f"AMI user {name}", request_user(),
                           found.public(), None)
            )  # fmt: skip
        return {
            "deleted": name,
            "listening": manager_conf.bind_address(proposed),
            "applied": applied.applied,
            "detail": applied.detail,
        }

    # -- internals ---------------------------------------------------------------------------
    def _load(self) -> list[AmiAccount]:
        try:
            return store.load(self._store_path)
        except (AccountError, KeyError, TypeError, ValueError) as error:
            # Rendered without them (the agent's login must work); the file stays as it is.
            log.error("AMI users in %s not used: %s", self._store_path, error)
            return []

    def _current(self) -> str | None:
        try:
            return self._conf_path.read_text()
        except FileNotFoundError:
            return None

    def _stage_manager_conf(self, group: FileGroup, text: str) -> None:
        """Asterisk reads it as its own user: 0640, owned like its directory."""
        owner = self._conf_path.parent.stat()
        group.write(self._conf_path, text, mode=0o640, owner=owner.st_uid, group=owner.st_gid)

    def _change(self, proposed: Sequence[AmiAccount]) -> Applied:
        try:
            text = manager_conf.render(self._agent, proposed)
        except UnsafeValue as error:  # a value the checks let through: refused here
            raise ApiError(400, str(error)) from error
        with FileGroup() as group:
            group.write(self._store_path, store.text(proposed), mode=store.MODE)
            self._stage_manager_conf(group, text)
            group.commit()
            applied = self._reload()
            if applied.applied and not self._agent_logs_in():
                group.rollback()
                self._reload()
                raise ApiError(
                    500, "Asterisk's manager refused the new manager.conf; the previous one stays"
                )
        self._accounts = list(proposed)
        return applied

    def _reload(self) -> Applied:
        try:
            self._asterisk.reload_module("manager")
        except AsteriskUnavailable as error:
            return Applied(False, f"Asterisk is not running ({error})")
        return Applied(True, "manager reloaded")

    def _end_sessions(self, name: str) -> None:
        """A deleted account's sessions would go on after the reload: they are kicked."""
        try:
            for session in self._asterisk.manager_sessions():
                if session.user == name:
                    self._asterisk.kick_manager_session(session.descriptor)
                    log.info("AMI session of deleted user %s from %s ended", name, session.address)
        except AsteriskUnavailable as error:
            log.warning("sessions of deleted AMI user %s not ended: %s", name, error)

    def _agent_logs_in(self) -> bool:
        try:
            with self._asterisk.manager():
                return True
        except AsteriskUnavailable as error:
            log.error("the agent's AMI login fails after a manager reload: %s", error)
            return False
