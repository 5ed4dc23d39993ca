"""Wrong passwords per user across addresses, and the bounded password checks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orpheus.api.app import Api
from orpheus.api.password_checks import ChecksBusy, PasswordCheckGate
from orpheus.api.user_login_limit import UserLimits, UserLoginLimiter
from orpheus.auth import PasswordStore
from tests.unit.api.wsgi_client import call


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guesses_from_many_addresses_block_the_user_for_new_addresses_only() -> None:
    clock = Clock()
    limiter = UserLoginLimiter(UserLimits(failures=10, first_block_seconds=30), clock=clock)
    limiter.succeeded("admin", "192.0.2.1")  # where the admin works from
    for _ in range(20):
        limiter.failed("admin", "192.0.2.1")  # mistyped where it works: the address limit's
    for i in range(9):
        limiter.failed("admin", f"198.51.100.{i}")
    assert limiter.retry_after("admin", "198.51.100.7") is None
    limiter.failed("admin", "198.51.100.99")
    assert limiter.retry_after("admin", "198.51.100.7") == 30
    assert limiter.retry_after("admin", "192.0.2.1") is None  # not locked out from there
    assert limiter.retry_after("bob", "198.51.100.7") is None
    clock.now += 30
    assert limiter.retry_after("admin", "198.51.100.7") is None
    limiter.failed("admin", "198.51.100.7")  # one more after a block: twice as long
    assert limiter.retry_after("admin", "198.51.100.7") == 60


def test_the_block_is_capped_and_a_success_only_frees_its_own_address() -> None:
    clock = Clock()
    limits = UserLimits(failures=2, first_block_seconds=10, max_block_seconds=25)
    limiter = UserLoginLimiter(limits, clock=clock)
    for _ in range(6):
        limiter.failed("carol", "203.0.113.5")
        wait = limiter.retry_after("carol", "203.0.113.5")
        clock.now += wait or 0
    assert wait == 25
    limiter.failed("carol", "203.0.113.5")
    limiter.succeeded("carol", "203.0.113.9")  # e.g. a known address's monitoring probe
    assert limiter.retry_after("carol", "203.0.113.9") is None
    assert limiter.retry_after("carol", "203.0.113.5") == 25  # the count went on
    clock.now += 30 * 60 + 1  # quiet for long: afresh
    assert limiter.retry_after("carol", "203.0.113.5") is None
    limiter.failed("carol", "203.0.113.5")
    assert limiter.retry_after("carol", "203.0.113.5") is None


def test_password_checks_are_bounded_and_a_full_gate_answers_busy() -> None:
    gate = PasswordCheckGate(concurrent=2, wait_seconds=0.2)
    release, running = threading.Event(), threading.Barrier(3)

    def slow() -> bool:
        running.wait(5)
        return release.wait(5)

    threads = [threading.Thread(target=gate.run, args=(slow,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    running.wait(5)  # both slots taken
    with pytest.raises(ChecksBusy):
        gate.run(lambda: True)
    release.set()
    for thread in threads:
        thread.join(5)
    assert gate.run(lambda: True)


def test_the_api_answers_503_when_every_check_slot_stays_busy(tmp_path: Path) -> None:
    passwords = PasswordStore(tmp_path)
    passwords.set("orpheus-test-pw")
    gate = PasswordCheckGate(concurrent=1, wait_seconds=0.05)
    api = Api(passwords, password_gate=gate)
    api.route("GET", "/private", lambda: {"ok": True}, area="dashboard")
    holding, release = threading.Event(), threading.Event()

    def hold() -> bool:
        holding.set()
        return release.wait(5)

    holder = threading.Thread(target=gate.run, args=(hold,))
    holder.start()
    holding.wait(5)
    answer = call(api.app, "GET", "/private", auth=("admin", "orpheus-test-pw"))
    assert answer.status == 503 and answer.headers["Retry-After"] == "1", answer
    assert "password checks already running" in answer.json()["error"]
    release.set()
    holder.join(5)
    assert call(api.app, "GET", "/private", auth=("admin", "orpheus-test-pw")).status == 200
