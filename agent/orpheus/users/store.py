"""Users, levels and API tokens, in one root-only file of the agent's state (users.json).

The `admin` user is the unit's first administrator: its password stays in the PasswordStore
(admin-password.hash, the factory / first boot flow of auth.py and provision.py), its record
here is made on first use (the migration from one admin to many users). Other users' passwords
are scrypt hashes like the admin's; tokens are random 256-bit secrets, kept as SHA-256.

Rules kept here, whoever asks: the `administrator` level is built in (every right, never
changed or deleted), a level in use is not deleted, the last enabled administrator is never
deleted, disabled or moved to another level, and `admin` is never deleted.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.auth import (
    ADMIN_USER,
    MIN_PASSWORD_LENGTH,
    PasswordStore,
    hash_password,
    verify_password,
)
from orpheus.password_strength import weakness
from orpheus.users.levels import (
    ADMINISTRATOR,
    ADMINISTRATOR_RIGHTS,
    LevelRefused,
    check_name,
    check_rights,
)

TOKEN_PREFIX = "orp_"  # noqa: S105 - marks a token, not a secret


class NotFound(LevelRefused):
    status = 404


class Conflict(LevelRefused):
    status = 409


@dataclass(frozen=True)
class Account:
    """What a request may do: the user's name and their level's rights, read at each request."""

    name: str
    level: str
    rights: Mapping[str, str]
    must_change_password: bool


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_strength(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LevelRefused(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    reason = weakness(password, (name, "orpheus"))
    if reason:
        raise LevelRefused(reason)


class UserStore:
    def __init__(self, passwords: PasswordStore, path: Path | None = None) -> None:
        self.passwords = self._passwords = passwords
        self.path = path or passwords.hash_file.parent / "users.json"
        self._lock = threading.RLock()
        self._state = self._load()
        self._key = secrets.token_bytes(32)  # remembered checks (see PasswordStore)
        self._verified: dict[str, tuple[str, bytes]] = {}
        self._revoke_listeners: list[Callable[[str], object]] = []

    def on_revoke(self, listener: Callable[[str], object]) -> None:
        """listener(user) when the user's password, level or enabled flag changes, or it goes."""
        self._revoke_listeners.append(listener)

    # --- reading ---------------------------------------------------------------------------

    def account(self, name: str) -> Account | None:
        """The enabled user's account, or None (unknown or disabled)."""
        with self._lock:
            user = self._state["users"].get(name)
            if user is None or not user["enabled"]:
                return None
            return Account(name, user["level"], self._rights(user["level"]), self._must(name))

    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._user_view(name) for name in sorted(self._state["users"])]

    def user(self, name: str) -> dict[str, Any]:
        with self._lock:
            self._get_user(name)
            return self._user_view(name)

    def levels(self) -> list[dict[str, Any]]:
        with self._lock:
            names = [ADMINISTRATOR, *sorted(self._state["levels"])]
            return [self._level_view(name) for name in names]

    def level(self, name: str) -> dict[str, Any]:
        with self._lock:
            if name != ADMINISTRATOR and name not in self._state["levels"]:
                raise NotFound(f"no level {name!r}")
            return self._level_view(name)

    def check_password(self, name: str, password: str) -> bool:
        """The password of an enabled user (never raises); the caller bounds concurrency."""
        with self._lock:
            user = self._state["users"].get(name)
            if user is None or not user["enabled"]:
                return False
            stored = user.get("password")
        if name == ADMIN_USER:
            return self._passwords.check(name, password)
        if not isinstance(stored, str):
            return False
        mark = hmac.new(self._key, password.encode(), hashlib.sha256).digest()
        remembered = self._verified.get(name)
        if remembered and remembered[0] == stored and hmac.compare_digest(remembered[1], mark):
            return True
        if not verify_password(password, stored):
            return False
        self._verified[name] = (stored, mark)
        return True

    def token_owner(self, secret: str) -> tuple[str, str] | None:
        """(user, token name) of a valid token, or None."""
        digest = token_digest(secret)
        with self._lock:
            for name, user in self._state["users"].items():
                for token_name, token in user["tokens"].items():
                    if hmac.compare_digest(token["sha256"], digest):
                        return name, token_name
        return None

    def tokens(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            found = self._get_user(user)["tokens"]
            return [{"name": n, "user": user, "created": t["created"]} for n, t in found.items()]

    # --- changing --------------------------------------------------------------------------

    def add_user(
        self, name: str, password: str, level: str, *, enabled: bool = True
    ) -> dict[str, Any]:
        check_name("user", name)
        check_password_strength(password, name)
        with self._changing() as state:
            if name in state["users"]:
                raise Conflict(f"user {name!r} exists")
            self._check_level_exists(level)
            state["users"][name] = {
                "level": level, "enabled": enabled, "password": hash_password(password),
                "must_change_password": True, "tokens": {},
            }  # fmt: skip
        return self.user(name)

    def set_user(
        self,
        name: str,
        *,
        password: str | None = None,
        level: str | None = None,
        enabled: bool | None = None,
        own: bool = False,
    ) -> dict[str, Any]:
        """own: the user changes their own password (no forced change after it)."""
        if password is not None:
            check_password_strength(password, name)
        with self._changing() as state:
            user = self._get_user(name)
            if level is not None:
                self._check_level_exists(level)
                if name == ADMIN_USER and level != ADMINISTRATOR:
                    raise Conflict("the admin user stays an administrator")
            revoke = False
            for field, value in (("level", level), ("enabled", enabled)):
                if value is not None and user[field] != value:
                    user[field] = value
                    revoke = True
            self._check_an_administrator_left(state)
            if password is not None:
                revoke = True
                if name == ADMIN_USER:
                    self._passwords.set(password, must_change=not own)
                else:
                    user["password"] = hash_password(password)
                user["must_change_password"] = not own
        if revoke:
            self._revoked(name)
        return self.user(name)

    def delete_user(self, name: str) -> dict[str, Any]:
        with self._changing() as state:
            before = self._user_view(name) if name in state["users"] else None
            self._get_user(name)
            if name == ADMIN_USER:
                raise Conflict("the admin user cannot be deleted (disable it instead)")
            del state["users"][name]
            self._check_an_administrator_left(state)
        self._verified.pop(name, None)
        self._revoked(name)
        assert before is not None
        return before

    def add_level(self, name: str, rights: Mapping[str, str]) -> dict[str, Any]:
        check_name("level", name)
        checked = check_rights(rights)
        with self._changing() as state:
            if name == ADMINISTRATOR or name in state["levels"]:
                raise Conflict(f"level {name!r} exists")
            state["levels"][name] = checked
        return self.level(name)

    def set_level(self, name: str, rights: Mapping[str, str]) -> dict[str, Any]:
        checked = check_rights(rights)
        with self._changing() as state:
            self._check_changeable_level(name)
            state["levels"][name] = checked
        return self.level(name)

    def delete_level(self, name: str) -> dict[str, Any]:
        with self._changing() as state:
            self._check_changeable_level(name)
            users = sorted(n for n, u in state["users"].items() if u["level"] == name)
            if users:
                raise Conflict(f"level {name!r} is in use by {', '.join(users)}")
            before = self._level_view(name)
            del state["levels"][name]
        return before

    def add_token(self, user: str, name: str) -> dict[str, Any]:
        """A new token: its secret is in this answer only, the store keeps its SHA-256."""
        check_name("token", name)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._changing() as state:
            tokens = self._get_user(user)["tokens"]
            if name in tokens:
                raise Conflict(f"user {user!r} has a token {name!r}")
            tokens[name] = {"sha256": token_digest(secret), "created": _now()}
            del state  # the token is in the user's record
        return {"name": name, "user": user, "created": tokens[name]["created"], "token": secret}

    def delete_token(self, user: str, name: str) -> dict[str, Any]:
        with self._changing():
            tokens = self._get_user(user)["tokens"]
            if name not in tokens:
                raise NotFound(f"user {user!r} has no token {name!r}")
            token = tokens.pop(name)
        return {"name": name, "user": user, "created": token["created"]}

    # --- inside ----------------------------------------------------------------------------

    @contextmanager
    def _changing(self) -> Iterator[dict[str, Any]]:
        """The state to change; saved at the end, or put back as it was on any failure."""
        with self._lock:
            before = copy.deepcopy(self._state)
            try:
                yield self._state
                self._save()
            except BaseException:
                self._state = before
                raise

    def _load(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            state = {"version": 1, "levels": {}, "users": {}}
        # The migration from the single admin: it is the first administrator.
        state["users"].setdefault(
            ADMIN_USER, {"level": ADMINISTRATOR, "enabled": True, "password": None,
                         "must_change_password": False, "tokens": {}},
        )  # fmt: skip
        return state

    def _save(self) -> None:
        text = json.dumps(self._state, indent=1, sort_keys=True) + "\n"
        files.write_file(self.path, text, mode=0o600)

    def _get_user(self, name: str) -> dict[str, Any]:
        user: dict[str, Any] | None = self._state["users"].get(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        return user

    def _check_level_exists(self, level: str) -> None:
        if level != ADMINISTRATOR and level not in self._state["levels"]:
            raise NotFound(f"no level {level!r}")

    def _check_changeable_level(self, name: str) -> None:
        if name == ADMINISTRATOR:
            raise Conflict("the administrator level is built in: it cannot be changed or deleted")
        if name not in self._state["levels"]:
            raise NotFound(f"no level {name!r}")

    @staticmethod
    def _check_an_administrator_left(state: dict[str, Any]) -> None:
        if not any(u["enabled"] and u["level"] == ADMINISTRATOR for u in state["users"].values()):
            raise Conflict("refused: this would leave no enabled administrator")

    def _rights(self, level: str) -> Mapping[str, str]:
        if level == ADMINISTRATOR:
            return ADMINISTRATOR_RIGHTS
        return dict(self._state["levels"].get(level, {}))

    def _must(self, name: str) -> bool:
        if name == ADMIN_USER:
            return self._passwords.must_change()
        return bool(self._state["users"][name].get("must_change_password"))

    def _user_view(self, name: str) -> dict[str, Any]:
        user = self._state["users"][name]
        return {
            "name": name, "level": user["level"], "enabled": user["enabled"],
            "must_change_password": self._must(name), "tokens": sorted(user["tokens"]),
        }  # fmt: skip

    def _level_view(self, name: str) -> dict[str, Any]:
        rights = self._rights(name)
        return {"name": name, "builtin": name == ADMINISTRATOR, "rights": check_rights(rights)}

    def _revoked(self, name: str) -> None:
        for listener in self._revoke_listeners:
            listener(name)
