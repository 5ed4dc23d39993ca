"""Wrong admin passwords, limited per source address (api/login_limit.py), with a fake clock,
and through the Api: a blocked address gets 429 with Retry-After and costs no password check."""

from __future__ import annotations

from pathlib import Path

from orpheus.api.app import Api
from orpheus.api.login_limit import Block, LoginLimiter, LoginLimits, address_key
from orpheus.audit.log import AuditLog
from orpheus.audit.login_blocks import block_recorder
from tests.unit.api.wsgi_client import Answer, call

ATTACKER, ADMIN = "203.0.113.9", "192.0.2.10"
PASSWORD = "right-password"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **limits: float) -> tuple[LoginLimiter, list[Block]]:
    blocks: list[Block] = []
    return LoginLimiter(LoginLimits(**limits), clock=clock, on_block=blocks.append), blocks  # type: ignore[arg-type]


def test_five_wrong_passwords_block_the_address_only() -> None:
    clock = Clock()
    limit, blocks = limiter(clock)
    for _ in range(4):
        limit.failed(ATTACKER)
    assert limit.retry_after(ATTACKER) is None
    limit.failed(ATTACKER)
    assert limit.retry_after(ATTACKER) == 1
    assert limit.retry_after(ADMIN) is None
    assert blocks == [Block(ATTACKER, 5, 1.0)]


def test_failures_outside_the_window_do_not_add_up() -> None:
    clock = Clock()
    limit, _ = limiter(clock)
    for _ in range(10):
        limit.failed(ATTACKER)
        clock.now += 15  # 4 per minute
    assert limit.retry_after(ATTACKER) is None


def test_each_wrong_password_after_a_block_doubles_it_up_to_15_minutes() -> None:
    clock = Clock()
    limit, blocks = limiter(clock)
    for _ in range(5):
        limit.failed(ATTACKER)
    seen = []
    for _ in range(14):
        wait = limit.retry_after(ATTACKER)
        assert wait is not None
        seen.append(wait)
        clock.now += wait
        assert limit.retry_after(ATTACKER) is None
        limit.failed(ATTACKER)  # one more wrong try when the block ends
    assert seen[:5] == [1, 2, 4, 8, 16] and seen[-1] == 900 and max(seen) == 900
    assert len(blocks) == 1  # the series is reported once, not per block or request


def test_the_right_password_and_a_quiet_spell_start_afresh() -> None:
    clock = Clock()
    limit, blocks = limiter(clock)
    for _ in range(5):
        limit.failed(ATTACKER)
    clock.now += 1
    limit.succeeded(ATTACKER)
    limit.failed(ATTACKER)
    assert limit.retry_after(ATTACKER) is None  # counting from zero again
    for _ in range(4):
        limit.failed(ATTACKER)
    clock.now += 1 + 15 * 60 + 1
    limit.failed(ATTACKER)
    assert limit.retry_after(ATTACKER) is None and len(blocks) == 2


def test_the_table_is_capped_oldest_dropped() -> None:
    clock = Clock()
    limit, _ = limiter(clock, addresses=3)
    for host in range(1, 6):
        limit.failed(f"198.51.100.{host}")
        clock.now += 1
    assert limit.tracked() == 3


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("") == "unknown"


class CountingPasswords:
    hash_file = Path("/nonexistent/admin-password.hash")  # the user store reads nothing there

    def must_change(self) -> bool:
        return False

    def __init__(self) -> None:
        self.checked: list[str] = []

    def check(self, user: str, password: str) -> bool:
        self.checked.append(password)
        return user == "admin" and password == PASSWORD


def _status(api: Api, address: str, password: str) -> Answer:
    environ = {"REMOTE_ADDR": address}
    return call(api.app, "GET", "/private", auth=("admin", password), environ=environ)


def test_a_blocked_address_gets_429_without_a_password_check(tmp_path: Path) -> None:
    clock, passwords = Clock(), CountingPasswords()
    audit = AuditLog(tmp_path / "audit.sqlite")
    api = Api(passwords, LoginLimiter(clock=clock, on_block=block_recorder(audit)))  # type: ignore[arg-type]
    api.route("GET", "/private", lambda: {"ok": True}, area="pbx")
    assert [_status(api, ATTACKER, f"guess-{i}").status for i in range(5)] == [401] * 5
    checked = len(passwords.checked)
    for password in ("guess-6", PASSWORD):
        answer = _status(api, ATTACKER, password)
        assert answer.status == 429 and answer.headers["Retry-After"] == "1"
        assert "the right password too" in answer.json()["error"]
    assert len(passwords.checked) == checked  # no scrypt run while blocked
    assert _status(api, ADMIN, PASSWORD).status == 200
    clock.now += 1
    assert _status(api, ATTACKER, PASSWORD).status == 200
    [entry] = audit.read()
    assert (entry["change"], entry["object"]) == ("admin.login-blocked", f"address {ATTACKER}")
    assert entry["after"] == {"wrong_passwords": 5, "blocked_seconds": 1.0}


def test_a_request_without_credentials_is_not_a_wrong_password() -> None:
    api = Api(CountingPasswords())  # type: ignore[arg-type]
    api.route("GET", "/private", lambda: {"ok": True}, area="pbx")
    environ = {"REMOTE_ADDR": ATTACKER}
    for _ in range(10):
        assert call(api.app, "GET", "/private", auth=None, environ=environ).status != 429
    assert api.login_limiter.tracked() == 0
