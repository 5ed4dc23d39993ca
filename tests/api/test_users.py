"""Users, levels, sessions and tokens against the real agent (issue 18, points 2 to 4).

Requests go over TCP from a client inside the unit's namespace, from loopback source
addresses of their own (127.0.0.20 and up), so the login limits they trip touch no other
test; the admin's side is orpheusctl's Unix socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from testbed.netns_http import Answer, NetnsClient, basic
from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import HTTPS_PORT, Unit
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

PASSWORD = "tangerine-kayak-91"
NEW_PASSWORD = "lighthouse-orbit-57"
HOST = f"127.0.0.1:{HTTPS_PORT}"
DEFAULT_SOURCE = "127.0.0.20"


class Client(NetnsClient):
    def send(
        self, method: str, path: str, body: Any = None, *, source: str = DEFAULT_SOURCE,
        headers: dict[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        return super().send(method, path, body, source=source, headers=headers)


@pytest.fixture(scope="module")
def client(lite_unit: Unit) -> Iterator[Client]:
    opened = Client(lite_unit.agent.netns)
    yield opened
    opened.close()


def console(unit: Unit, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = None if body is None else json.dumps(body).encode()
    return local_request(unit, method, path, raw)


def add_user(unit: Unit, name: str, level: str, password: str = PASSWORD) -> None:
    status, answer = console(unit, "POST", "/api/v1/users",
                             {"name": name, "password": password, "level": level})  # fmt: skip
    assert status == 201, answer


def add_level(unit: Unit, name: str, rights: dict[str, str]) -> None:
    status, answer = console(unit, "POST", "/api/v1/levels", {"name": name, "rights": rights})
    assert status == 201, answer


def log_in(client: Client, name: str, password: str, source: str = "127.0.0.20") -> Answer:
    answer = client.send("POST", "/api/v1/session", {"name": name, "password": password},
                         source=source)  # fmt: skip
    assert answer.status == 200, answer
    return answer


def with_session(answer: Answer, *, csrf: bool = True, **extra: str) -> dict[str, str]:
    headers = {"Cookie": f"orpheus_session={answer.cookie()}", **extra}
    if csrf:
        headers["X-CSRF-Token"] = answer.body["csrf_token"]
    return headers


def test_a_level_that_may_change_only_pbx(lite_unit: Unit, client: Client) -> None:
    add_level(lite_unit, "pbx-only", {"pbx": "change"})
    add_user(lite_unit, "pat", "pbx-only")
    pat = basic("pat", PASSWORD)
    for method, path, area in (("GET", "/api/v1/jobs", "firmware"), ("GET", "/api/v1/ha", "ha"),
                               ("DELETE", "/api/v1/ha", "ha"), ("GET", "/api/v1/users", "users"),
                               ("GET", "/api/v1/status", "dashboard"),
                               ("PUT", "/api/v1/snmp", "snmp")):  # fmt: skip
        body: dict[str, Any] | None = {} if method != "GET" else None
        answer = client.send(method, path, body, headers=pat)
        assert answer.status == 403, (path, answer)
        assert f"area '{area}'" in answer.body["error"] and "\n" not in answer.body["error"]
    created = client.send("POST", "/api/v1/users",
                          {"name": "mallory", "password": PASSWORD, "level": "administrator"},
                          headers=pat)  # fmt: skip
    assert created.status == 403
    assert client.send("GET", "/api/v1/pbx/extension", headers=pat).status == 200
    added = client.send("POST", "/api/v1/pbx/extension",
                        {"number": "4101", "password": "Good-pass-4101"}, headers=pat)  # fmt: skip
    assert added.status in (200, 201), added
    # the change is audited with the user who made it
    status, entries = console(lite_unit, "GET", "/api/v1/audit")
    assert status == 200
    [entry] = [e for e in entries if e["object"] == "extension 4101"]
    assert entry["user"] == "pat"
    assert "mallory" not in [u["name"] for u in console(lite_unit, "GET", "/api/v1/users")[1]]


def test_the_last_administrator_cannot_be_deleted_or_disabled(lite_unit: Unit) -> None:
    status, answer = console(lite_unit, "DELETE", "/api/v1/users/admin")
    assert status == 409, answer
    status, answer = console(lite_unit, "PUT", "/api/v1/users/admin", {"enabled": False})
    assert status == 409 and "no enabled administrator" in answer["error"], answer
    add_user(lite_unit, "root2", "administrator")
    status, answer = console(lite_unit, "PUT", "/api/v1/users/root2", {"enabled": False})
    assert status == 200
    status, answer = console(lite_unit, "DELETE", "/api/v1/levels/administrator")
    assert status == 409, answer
    status, answer = console(lite_unit, "PUT", "/api/v1/levels/administrator",
                             {"rights": {"pbx": "read"}})  # fmt: skip
    assert status == 409, answer
    assert console(lite_unit, "GET", "/api/v1/users/admin")[1]["enabled"] is True


def test_a_session_must_change_its_password_and_needs_its_csrf_token(
    lite_unit: Unit, client: Client
) -> None:
    add_user(lite_unit, "sam", "administrator")
    session = log_in(client, "sam", PASSWORD)
    cookie_header = session.headers["Set-Cookie"].lower()
    for attribute in ("secure", "httponly", "samesite=strict"):
        assert attribute in cookie_header, cookie_header
    assert len(session.cookie()) == 32 and session.body["must_change_password"] is True
    # set by an admin: the session may only change the password
    blocked = client.send("GET", "/api/v1/status", headers=with_session(session))
    assert blocked.status == 403 and "changed first" in blocked.body["error"]
    changed = client.send("PUT", "/api/v1/session/password",
                          {"current_password": PASSWORD, "password": NEW_PASSWORD},
                          headers=with_session(session))  # fmt: skip
    assert changed.status == 200 and changed.body["must_change_password"] is False, changed
    assert client.send("GET", "/api/v1/status", headers=with_session(session)).status == 401
    session = changed  # the session goes on under a new id
    assert client.send("GET", "/api/v1/status", headers=with_session(session)).status == 200

    extension = {"number": "4102", "password": "Good-pass-4102"}
    no_token = client.send("POST", "/api/v1/pbx/extension", extension,
                           headers=with_session(session, csrf=False))  # fmt: skip
    assert no_token.status == 403 and "X-CSRF-Token" in no_token.body["error"]
    wrong = {**with_session(session), "X-CSRF-Token": "0" * 32}
    assert client.send("POST", "/api/v1/pbx/extension", extension, headers=wrong).status == 403
    cross = client.send("POST", "/api/v1/pbx/extension", extension,
                        headers=with_session(session, Origin="http://evil.example"))  # fmt: skip
    assert cross.status == 403 and "cross-origin" in cross.body["error"]
    assert console(lite_unit, "GET", "/api/v1/pbx/extension/4102")[0] == 404  # nothing changed
    same = client.send("POST", "/api/v1/pbx/extension", extension,
                       headers=with_session(session, Origin=f"https://{HOST}"))  # fmt: skip
    assert same.status in (200, 201), same

    # log-out: the stolen id is worth nothing
    stolen = with_session(session)
    assert client.send("DELETE", "/api/v1/session", {}, headers=stolen).status == 200
    after = client.send("GET", "/api/v1/status", headers=stolen)
    assert after.status == 401 and "log in again" in after.body["error"]
    assert client.send("GET", "/api/v1/status", headers=basic("sam", NEW_PASSWORD)).status == 200


def test_a_level_change_ends_the_users_sessions(lite_unit: Unit, client: Client) -> None:
    add_level(lite_unit, "viewer", {"dashboard": "read", "pbx": "read"})
    add_user(lite_unit, "val", "administrator")
    status, _ = console(lite_unit, "PUT", "/api/v1/users/val", {"password": NEW_PASSWORD})
    assert status == 200
    session = log_in(client, "val", NEW_PASSWORD)
    assert client.send("GET", "/api/v1/session", headers=with_session(session)).status == 200
    assert console(lite_unit, "PUT", "/api/v1/users/val", {"level": "viewer"})[0] == 200
    assert client.send("GET", "/api/v1/session", headers=with_session(session)).status == 401


def test_fifty_wrong_passwords_from_one_address_do_not_lock_the_user_out(
    lite_unit: Unit, client: Client
) -> None:
    add_user(lite_unit, "wendy", "administrator")
    answers = [
        client.send(
            "POST",
            "/api/v1/session",
            {"name": "wendy", "password": f"guess-{i}"},
            source="127.0.0.21",
        )
        for i in range(50)
    ]
    statuses = [a.status for a in answers]
    assert statuses[:5] == [401] * 5 and 429 in statuses, statuses
    limited = next(a for a in answers if a.status == 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert log_in(client, "wendy", PASSWORD, source="127.0.0.22").status == 200
    right = client.send("GET", "/api/v1/session", headers=basic("wendy", PASSWORD),
                        source="127.0.0.23")  # fmt: skip
    assert right.status == 200


def test_guesses_from_many_addresses_block_the_user_for_new_addresses(
    lite_unit: Unit, client: Client
) -> None:
    add_user(lite_unit, "vic", "administrator")
    log_in(client, "vic", PASSWORD, source="127.0.0.30")  # where vic works from
    for i in range(10):
        wrong = client.send("POST", "/api/v1/session", {"name": "vic", "password": "nope-nope"},
                            source=f"127.0.1.{i + 1}")  # fmt: skip
        assert wrong.status == 401, wrong
    fresh = client.send("POST", "/api/v1/session", {"name": "vic", "password": PASSWORD},
                        source="127.0.0.31")  # fmt: skip
    assert fresh.status == 429 and "for user 'vic'" in fresh.body["error"], fresh
    assert int(fresh.headers["Retry-After"]) >= 1
    assert log_in(client, "vic", PASSWORD, source="127.0.0.30").status == 200


def test_a_token_is_shown_once_works_and_once_revoked_is_refused(
    lite_unit: Unit, client: Client
) -> None:
    add_user(lite_unit, "tom", "administrator")
    tom = basic("tom", PASSWORD)
    created = client.send("POST", "/api/v1/tokens", {"name": "monitoring"}, headers=tom)
    assert created.status == 201, created
    secret = created.body["token"]
    listed = client.send("GET", "/api/v1/tokens", headers=tom)
    assert listed.status == 200 and secret not in json.dumps(listed.body)
    assert [t["name"] for t in listed.body] == ["monitoring"]
    assert secret not in (lite_unit.sandbox.data / "orpheus/users.json").read_text()
    bearer = {"Authorization": f"Bearer {secret}"}
    whoami = client.send("GET", "/api/v1/session", headers=bearer)
    assert whoami.status == 200 and whoami.body["user"] == "tom" and whoami.body["via"] == "token"
    assert client.send("GET", "/api/v1/status", headers=bearer).status == 200
    revoked = client.send("DELETE", "/api/v1/tokens/monitoring", {}, headers=tom)
    assert revoked.status == 200, revoked
    assert client.send("GET", "/api/v1/status", headers=bearer).status == 401
    entries = console(lite_unit, "GET", "/api/v1/audit")[1]
    tokens = [(e["change"], e["user"]) for e in entries if e["object"] == "token monitoring of tom"]
    assert tokens == [("token.create", "tom"), ("token.delete", "tom")]
    assert secret not in json.dumps(entries)


@pytest.mark.parametrize("name", ["bad\nname", "bad\n", "x\r\ny", "[section]"])
def test_user_and_level_names_with_newlines_are_refused(lite_unit: Unit, name: str) -> None:
    user = {"name": name, "password": PASSWORD, "level": "administrator"}
    status, answer = console(lite_unit, "POST", "/api/v1/users", user)
    assert status == 400 and "\n" not in answer["error"], answer
    status, answer = console(lite_unit, "POST", "/api/v1/levels", {"name": name, "rights": {}})
    assert status == 400 and "\n" not in answer["error"], answer
    names = {u["name"] for u in console(lite_unit, "GET", "/api/v1/users")[1]}
    names |= {level["name"] for level in console(lite_unit, "GET", "/api/v1/levels")[1]}
    assert not any("\n" in n or "\r" in n or "[" in n for n in names)


def test_a_weak_admin_password_is_refused_with_the_reason(lite_unit: Unit) -> None:
    user = {"name": "weak", "password": "password1", "level": "administrator"}
    status, answer = console(lite_unit, "POST", "/api/v1/users", user)
    assert status == 400 and "zxcvbn score" in answer["error"], answer


def test_orpheusctl_manages_users_levels_and_tokens(lite_unit: Unit) -> None:
    agent = lite_unit.agent
    assert agent.ctl("level", "add", "snmp-desk", "--right", "snmp=change").returncode == 0
    levels: Any = agent.ctl_json("level", "list", "--json")
    [desk] = [level for level in levels if level["name"] == "snmp-desk"]
    assert {area for area, right in desk["rights"].items() if right != "none"} == {"snmp"}
    added = _ctl_with_input(lite_unit, PASSWORD + "\n",
                            "user", "add", "sid", "--level", "snmp-desk", "--stdin")  # fmt: skip
    assert added.returncode == 0, added.stderr
    users: Any = agent.ctl_json("user", "list", "--json")
    assert {"name": "sid", "level": "snmp-desk", "enabled": True, "must_change_password": True,
            "tokens": []} in users  # fmt: skip
    token = agent.ctl("token", "add", "probe", "--user", "sid")
    assert token.returncode == 0 and token.stdout.startswith("orp_"), token.stderr
    refused = agent.ctl("user", "delete", "admin")
    assert refused.returncode == 1 and "cannot be deleted" in refused.stderr
    bad = agent.ctl("level", "add", "x\ny")
    assert bad.returncode == 1 and "\n" not in bad.stderr.strip()
    assert agent.ctl("user", "set", "sid", "--disable").returncode == 0
    assert agent.ctl("user", "delete", "sid").returncode == 0
    assert agent.ctl("level", "delete", "snmp-desk").returncode == 0


def _ctl_with_input(unit: Unit, given: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SOURCE_DIR / "agent")}
    command = [sys.executable, "-c", "import sys; from orpheus.cli.main import main; "
               "sys.exit(main())", "--socket", str(unit.agent.socket), *args]  # fmt: skip
    return subprocess.run(command, input=given, capture_output=True, text=True, env=env,
                          check=False)  # fmt: skip


def test_every_route_of_the_real_agent_declares_its_area(lite_unit: Unit) -> None:
    status, spec = console(lite_unit, "GET", "/api/v1/openapi.json")
    assert status == 200
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items()]  # fmt: skip
    assert len(operations) > 40
    for path, method, operation in operations:
        assert operation.get("x-area"), (method, path)


def test_a_weak_sip_password_is_stored_but_flagged_and_counted(lite_unit: Unit) -> None:
    before = console(lite_unit, "GET", "/api/v1/status")[1]["weak_passwords"]
    status, answer = console(lite_unit, "POST", "/api/v1/pbx/extension",
                             {"number": "4103", "password": "4103-4103"})  # fmt: skip
    assert status in (200, 201), answer
    [warning] = answer["warnings"]
    assert warning.startswith("extension 4103: SIP password stored, but weak password")
    assert console(lite_unit, "GET", "/api/v1/pbx/extension/4103")[0] == 200
    assert console(lite_unit, "GET", "/api/v1/status")[1]["weak_passwords"] == before + 1
    status, answer = console(lite_unit, "PUT", "/api/v1/pbx/extension/4103",
                             {"password": "Walrus-tundra-4103"})  # fmt: skip
    assert status == 200 and answer["warnings"] == [], answer
    assert console(lite_unit, "GET", "/api/v1/status")[1]["weak_passwords"] == before
    assert "WARNING" in lite_unit.agent.ctl("status").stdout or before == 0
