"""Log-in sessions: a random 128-bit id in a cookie, a CSRF token, idle and absolute timeouts.

Held in memory only: a restart of the agent logs everyone out. A session is revoked at
log-out and when its user's password, level or enabled flag changes (UserStore.on_revoke).
The table is capped: past `max_sessions` the oldest session is dropped.
"""

from __future__ import annotations

import collections
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "orpheus_session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: float = 15 * 60.0
    max_seconds: float = 12 * 3600.0
    max_sessions: int = 1024


@dataclass
class Session:
    id: str
    user: str
    csrf_token: str
    created: float
    last_used: float

    def csrf_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf_token.encode())


class SessionStore:
    def __init__(
        self, limits: SessionLimits = SessionLimits(), clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sessions: collections.OrderedDict[str, Session] = collections.OrderedDict()
        self._lock = threading.Lock()

    def open(self, user: str) -> Session:
        now = self._clock()
        session = Session(secrets.token_hex(16), user, secrets.token_hex(16), now, now)
        with self._lock:
            while len(self._sessions) >= self.limits.max_sessions:
                self._sessions.popitem(last=False)
            self._sessions[session.id] = session
        return session

    def find(self, session_id: str) -> Session | None:
        """The live session with that id (its idle time starts again), or None."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            idle = now - session.last_used > self.limits.idle_seconds
            if idle or now - session.created > self.limits.max_seconds:
                del self._sessions[session_id]
                return None
            session.last_used = now
            return session

    def close(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def revoke_user(self, user: str, *, keep: str | None = None) -> int:
        """Drops every session of user (but keep); how many went."""
        with self._lock:
            gone = [s for s, found in self._sessions.items() if found.user == user and s != keep]
            for session_id in gone:
                del self._sessions[session_id]
        return len(gone)

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)
