"""Wrong admin passwords over TCP, against the real agent: a burst from one address gets 429
with a growing Retry-After, and while it is blocked the right password from it is refused
too, but works from another address, and from the first once the back-off is over.

The agent listens on 127.0.0.1 in the unit's namespace; the client there binds other loopback
addresses as its source (127.0.0.3 attacks, 127.0.0.4 is the admin), so other tests that use
127.0.0.1 are not blocked."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from testbed import fuzz
from testbed.pbx_unit import Unit
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

ATTACKER, ADMIN = "127.0.0.3", "127.0.0.4"
# Reads [source address, password] lines, answers each with [status, Retry-After, body].
_CLIENT = r"""
import base64, http.client, json, sys
for line in sys.stdin:
    source, password = json.loads(line)
    connection = http.client.HTTPConnection("127.0.0.1", 8080, timeout=30,
                                            source_address=(source, 0))
    token = base64.b64encode(f"admin:{password}".encode()).decode()
    connection.request("GET", "/api/v1/jobs", headers={"Authorization": "Basic " + token})
    response = connection.getresponse()
    body = json.loads(response.read())
    print(json.dumps([response.status, response.getheader("Retry-After"), body]), flush=True)
    connection.close()
"""


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    body: object


class Client:
    """One Python process in the unit's namespace, so requests follow each other quickly."""

    def __init__(self, netns: str) -> None:
        self._process = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-c", _CLIENT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def get(self, source: str, password: str) -> Answer:
        assert self._process.stdin and self._process.stdout
        self._process.stdin.write(json.dumps([source, password]) + "\n")
        self._process.stdin.flush()
        return Answer(*json.loads(self._process.stdout.readline()))

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        self._process.wait(10)


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
    assert blocked.retry_after is not None and int(blocked.retry_after) >= 1
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
    assert right.status == 429 and right.retry_after is not None
    assert "the right password too" in str(right.body)
    assert client.get(ADMIN, password).status == 200  # a stranger does not lock the admin out

    time.sleep(int(right.retry_after))
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
    assert answer.status == 429 and answer.retry_after is not None, answer
    return int(answer.retry_after)
