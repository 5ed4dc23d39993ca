"""Wrong admin passwords over TCP, against the real agent: a burst from one address gets 429
with a growing Retry-After, and while it is blocked the right password from it is refused
too, but works from another address, and from the first once the back-off is over.

The agent listens on 127.0.0.1 in the unit's namespace; the client there binds other loopback
addresses as its source (127.0.0.3 attacks, 127.0.0.4 is the admin), so other tests that use
127.0.0.1 are not blocked."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from testbed import fuzz
from testbed.netns_http import Answer, NetnsClient, basic
from testbed.pbx_unit import Unit
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

ATTACKER, ADMIN = "127.0.0.3", "127.0.0.4"


class Client(NetnsClient):
    def get(self, source: str, password: str) -> Answer:
        """GET /api/v1/jobs as admin with password, from source."""
        return self.send("GET", "/api/v1/jobs", source=source, headers=basic("admin", password))


@pytest.fixture
def client(lite_unit: Unit) -> Iterator[Client]:
    opened = Client(lite_unit.agent.netns)
    yield opened
    opened.close()


def _blocks(unit: Unit) -> list[dict[str, object]]:
    status, entries = local_request(unit, "GET", "/api/v1/audit")
    assert status == 200
    return [e for e in entries if e["change"] == "admin.login-blocked"]


def test_a_burst_of_wrong_passwords_blocks_that_address_only(
    lite_unit: Unit, client: Client
) -> None:
    password = _admin_password(lite_unit)
    assert client.get(ATTACKER, password).status == 200  # the right one, before
    blocks_before = len(_blocks(lite_unit))
    answers = [client.get(ATTACKER, f"guess-{i}") for i in range(8)]
    assert [a.status for a in answers[:5]] == [401] * 5, answers
    blocked = next(a for a in answers[5:] if a.status == 429)  # at once, unless the box is slow
    assert "Retry-After" in blocked.headers and int(blocked.headers["Retry-After"]) >= 1
    assert "too many wrong passwords from 127.0.0.3" in str(blocked.body)

    # One more wrong password each time a block ends: the back-off doubles (1, 2, 4 s...).
    waits = []
    while (wait := _retry_after(client, ATTACKER)) < 4:
        waits.append(wait)
        time.sleep(wait)
        assert client.get(ATTACKER, "guess-again").status in (401, 429)
    assert waits == sorted(waits)

    # Blocked for 4 s or more: the right password from it is refused, and not checked.
    right = client.get(ATTACKER, password)
    assert right.status == 429 and "Retry-After" in right.headers
    assert "the right password too" in str(right.body)
    assert client.get(ADMIN, password).status == 200  # a stranger does not lock the admin out

    time.sleep(int(right.headers["Retry-After"]))
    assert client.get(ATTACKER, password).status == 200  # the back-off is over
    assert client.get(ATTACKER, "guess-after").status == 401  # and counting starts afresh

    new = _blocks(lite_unit)[blocks_before:]
    assert [e["object"] for e in new] == ["address 127.0.0.3"], new  # once, not per request
    log = lite_unit.agent.log.read_text()
    assert log.count("address 127.0.0.3 blocked after") == 1


def _admin_password(unit: Unit) -> str:
    """The unit's initial password; if a test (the fuzzer) has changed it, one set here."""
    initial = unit.sandbox.data / "orpheus/initial-admin-password"
    if initial.exists():
        return fuzz.admin_password(unit)
    password = "limit-test-pass"
    body = json.dumps({"password": password}).encode()
    assert local_request(unit, "PUT", "/api/v1/admin/password", body)[0] == 200
    return password


def _retry_after(client: Client, source: str) -> int:
    answer = client.get(source, "guess-probe")
    assert answer.status == 429 and "Retry-After" in answer.headers, answer
    return int(answer.headers["Retry-After"])
