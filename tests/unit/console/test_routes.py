"""console/routes.py: the routes only the physical console (Unix socket, root peer) may call."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.console import routes
from orpheus.console.routes import ConsoleFeature
from orpheus.dbus.fakes import FakeSystemd
from tests.unit.api.wsgi_client import Answer, call

PASSWORD = "orchard-violin-93"
NEW = "harbour-pepper-58"
ROOT = PeerCredentials(pid=0, uid=0, gid=0, login_uid=None)
ALICE = PeerCredentials(pid=0, uid=1000, gid=1000, login_uid=None)


class Unit:
    def __init__(self, directory: Path) -> None:
        self.passwords = PasswordStore(directory)
        self.passwords.set(PASSWORD)
        self.api = Api(self.passwords)
        self.audit = AuditLog(directory / "audit.sqlite")
        self.systemd = FakeSystemd()
        ConsoleFeature(self.api, self.audit, self.systemd.reboot).install_routes(self.api)

    def local(self, path: str, body: dict[str, Any], peer: PeerCredentials | None = ROOT) -> Answer:
        environ: dict[str, Any] = {LOCAL_ENVIRON_KEY: True, "REMOTE_ADDR": "local"}
        if peer is not None:
            environ[PEER_ENVIRON_KEY] = peer
        return call(self.api.app, "POST", path, json.dumps(body).encode(), auth=None,
                    environ=environ)  # fmt: skip

    def tcp(self, path: str, body: dict[str, Any]) -> Answer:
        return call(self.api.app, "POST", path, json.dumps(body).encode(),
                    auth=("admin", PASSWORD), environ={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip


@pytest.fixture
def unit(tmp_path: Path) -> Unit:
    return Unit(tmp_path)


ROUTES = [
    ("/api/v1/console/session", {"password": PASSWORD}),
    ("/api/v1/console/admin-password", {"password": NEW}),
    ("/api/v1/console/reboot", {"confirm": True}),
]


@pytest.mark.parametrize(("path", "body"), ROUTES)
def test_refused_over_tcp_to_the_admin_and_to_a_local_non_root_peer(
    unit: Unit, path: str, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "REBOOT_DELAY_SECONDS", 0.01)
    for answer in (unit.tcp(path, body), unit.local(path, body, ALICE),
                   unit.local(path, body, None)):  # fmt: skip
        assert answer.status == 403, answer
        assert "only on the unit's own console" in answer.json()["error"]
    assert unit.passwords.check("admin", PASSWORD)  # unchanged
    assert not unit.passwords.must_change()
    assert unit.audit.read() == []
    time.sleep(0.1)  # a reboot refused starts no timer
    assert unit.systemd.calls == []


def test_the_reset_sets_the_password_forces_a_change_and_is_audited(unit: Unit) -> None:
    answer = unit.local("/api/v1/console/admin-password", {"password": NEW})
    assert answer.status == 200 and answer.json() == {"must_change_password": True}
    assert unit.passwords.check("admin", NEW) and not unit.passwords.check("admin", PASSWORD)
    assert unit.passwords.must_change()
    account = unit.api.users.account("admin")
    assert account is not None and account.must_change_password
    [entry] = unit.audit.read()
    assert (entry["change"], entry["object"]) == ("user.password.reset", "user admin")
    assert entry["user"].endswith("(console)")
    assert NEW not in json.dumps(entry)


def test_a_weak_new_password_is_refused_and_nothing_changes(unit: Unit) -> None:
    answer = unit.local("/api/v1/console/admin-password", {"password": "password"})
    assert answer.status == 400
    assert unit.passwords.check("admin", PASSWORD) and unit.audit.read() == []


def test_the_console_log_in_checks_the_admin_password_and_is_limited(unit: Unit) -> None:
    assert unit.local("/api/v1/console/session", {"password": PASSWORD}).status == 200
    answers = [unit.local("/api/v1/console/session", {"password": f"guess-{i}"})
               for i in range(6)]  # fmt: skip
    assert [a.status for a in answers] == [401] * 5 + [429]
    assert "Retry-After" in answers[-1].headers
    # Blocked: the right password too, until the wait is over.
    assert unit.local("/api/v1/console/session", {"password": PASSWORD}).status == 429
    # The network's addresses are not the console's: the admin logs in from there.
    ok = call(unit.api.app, "GET", "/api/v1/openapi.json", auth=("admin", PASSWORD),
              environ={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
    assert ok.status == 200


def test_wrong_passwords_from_the_network_do_not_lock_the_console_out(unit: Unit) -> None:
    unit.api.route("GET", "/private", lambda: {"ok": True}, area="pbx")
    for i in range(30):  # from many addresses: the per-user limit blocks admin for strangers
        call(unit.api.app, "GET", "/private", auth=("admin", f"guess-{i}"),
             environ={"REMOTE_ADDR": f"198.51.100.{i + 1}"})  # fmt: skip
    fresh = call(unit.api.app, "GET", "/private", auth=("admin", PASSWORD),
                 environ={"REMOTE_ADDR": "203.0.113.9"})  # fmt: skip
    assert fresh.status == 429  # the per-user block holds for a new address
    assert unit.local("/api/v1/console/session", {"password": PASSWORD}).status == 200


def test_reboot_needs_confirm_is_audited_and_reboots_shortly(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "REBOOT_DELAY_SECONDS", 0.01)
    assert unit.local("/api/v1/console/reboot", {}).status == 400
    assert unit.local("/api/v1/console/reboot", {"confirm": False}).status == 400
    answer = unit.local("/api/v1/console/reboot", {"confirm": True})
    assert answer.status == 200 and answer.json() == {"rebooting": True}
    deadline = time.monotonic() + 5
    while not unit.systemd.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert unit.systemd.calls == [("reboot", "")]
    assert [e["change"] for e in unit.audit.read()] == ["unit.reboot"]


def test_an_agent_that_may_not_reboot_its_host_refuses(tmp_path: Path) -> None:
    unit = Unit(tmp_path)
    api = Api(unit.passwords)
    ConsoleFeature(api, unit.audit, None).install_routes(api)
    unit.api = api
    answer = unit.local("/api/v1/console/reboot", {"confirm": True})
    assert answer.status == 503 and "reboot_enabled" in answer.json()["error"]
    assert unit.audit.read() == []
