"""Admin surface benchmark (issue 18): the cost of one log-in check, of a password strength
score, and the memory the agent holds per browser session.

All in the bench's own process with the agent's modules: the scrypt check is the one every
log-in and HTTP Basic request pays once per cache miss, so its cost bounds the guesses a
burst can make (the agent runs at most two at once: api/password_checks.py).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from orpheus.auth import hash_password, verify_password
from orpheus.password_strength import weakness
from orpheus.users.sessions import SessionLimits, SessionStore

CHECKS = 30
SCORES = 200
SESSIONS = 1000
PASSWORD = "Correct-Horse-Battery-7"  # noqa: S105 - a sample to hash, not a secret


def _millis(action: Callable[[], object], times: int) -> list[float]:
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        taken.append((time.perf_counter() - started) * 1000)
    return sorted(taken)


def _p(values: list[float], share: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * share))], 2)


def _bytes_per_session() -> float:
    store = SessionStore(SessionLimits(max_sessions=SESSIONS))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for number in range(SESSIONS):
        store.open(f"user{number % 10}")
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return round(grown / SESSIONS, 1)


def run(board: str) -> dict[str, Any]:
    stored = hash_password(PASSWORD)
    checks = _millis(lambda: verify_password(PASSWORD, stored), CHECKS)
    scores = _millis(lambda: weakness(PASSWORD, ["admin"]), SCORES)
    return {
        "login_check_ms_p50": _p(checks, 0.5),
        "login_check_ms_p99": _p(checks, 0.99),
        "login_checks": CHECKS,
        "password_score_ms_p50": _p(scores, 0.5),
        "password_score_ms_p99": _p(scores, 0.99),
        "session_bytes_each": _bytes_per_session(),
        "sessions_measured": SESSIONS,
        "mean_check_ms": round(statistics.fmean(checks), 2),
    }
