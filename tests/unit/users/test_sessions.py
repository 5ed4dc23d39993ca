"""Sessions: random ids, idle and absolute timeouts, log-out and revocation per user."""

from __future__ import annotations

from orpheus.users.sessions import SessionLimits, SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_has_a_128_bit_id_and_its_own_csrf_token() -> None:
    store = SessionStore()
    first, second = store.open("alice"), store.open("alice")
    assert len(first.id) == 32 and int(first.id, 16) >= 0  # 16 random bytes, hex
    assert first.id != second.id and first.csrf_token != first.id
    assert first.csrf_matches(first.csrf_token) and not first.csrf_matches(second.csrf_token)
    assert not first.csrf_matches(None)


def test_idle_and_absolute_timeouts() -> None:
    clock = Clock()
    store = SessionStore(SessionLimits(idle_seconds=900, max_seconds=3600), clock)
    session = store.open("alice")
    clock.now += 899
    assert store.find(session.id) is session  # used: idle time starts again
    clock.now += 899
    assert store.find(session.id) is session
    clock.now += 901
    assert store.find(session.id) is None  # idle too long
    kept = store.open("alice")
    for _ in range(3):
        clock.now += 899
        assert store.find(kept.id) is kept
    clock.now += 899  # used all along, but now 3596 s old: still within the 3600
    assert store.find(kept.id) is kept
    clock.now += 10
    assert store.find(kept.id) is None


def test_log_out_and_revocation() -> None:
    store = SessionStore()
    alice, bob, alice_too = store.open("alice"), store.open("bob"), store.open("alice")
    assert store.close(alice.id) and store.find(alice.id) is None
    assert not store.close(alice.id)
    assert store.revoke_user("alice") == 1 and store.find(alice_too.id) is None
    assert store.find(bob.id) is bob


def test_the_table_is_capped() -> None:
    store = SessionStore(SessionLimits(max_sessions=3))
    sessions = [store.open(f"u{i}") for i in range(5)]
    assert store.count() == 3
    assert store.find(sessions[0].id) is None and store.find(sessions[4].id) is not None
