"""Issue 18, point 8, against the real agent: the console's admin password reset.

The agent runs alone in a network namespace of its own (no Asterisk: nothing here needs it).
The reset route answers on the agent's Unix socket to a root peer (this test, as the menu
runs under agetty), is refused over TCP even to the admin, is audited as the console's local
user, and the new password must be changed at the next web log-in. orpheus-console itself
drives it once, with scripted lines on its standard input.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orpheus.cli.client import AgentClient, AgentError
from testbed.netns_http import Answer, NetnsClient, basic
from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import Agent, agent_with_factory_password, console_user

pytestmark = pytest.mark.rootfs

PASSWORD = "quarry-saffron-64"
NEW = "meadow-circuit-39"
SERIAL = "ORP-CONSOLE-1"
SOURCE = "127.0.0.30"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    workdir = tmp_path_factory.mktemp("console-unit")
    netns = f"orpheus-console-{os.getpid()}"
    with agent_with_factory_password(workdir, netns, PASSWORD) as unit:
        init = unit.ctl("identity", "init", "--serial", SERIAL, "--board", "mini")
        assert init.returncode == 0, init.stderr
        # The admin's own change: no forced change left, so the reset's can be seen.
        local(unit, "PUT", "/api/v1/admin/password", {"password": PASSWORD})
        yield unit


@pytest.fixture(scope="module")
def tcp(agent: Agent) -> Iterator[NetnsClient]:
    client = NetnsClient(agent.netns)
    yield client
    client.close()


def local(agent: Agent, method: str, path: str, body: Any = None) -> Any:
    return AgentClient(agent.socket).request(method, path, body)


def local_status(agent: Agent, path: str, body: dict[str, Any]) -> int:
    try:
        local(agent, "POST", path, body)
    except AgentError as error:
        assert error.status is not None, error
        return error.status
    return 200


def web_log_in(tcp: NetnsClient, password: str) -> Answer:
    return tcp.send("POST", "/api/v1/session", {"name": "admin", "password": password},
                    source=SOURCE)  # fmt: skip


def resets(agent: Agent) -> list[dict[str, Any]]:
    entries = local(agent, "GET", "/api/v1/audit")
    return [e for e in entries if e["change"] == "user.password.reset"]


def test_the_console_routes_are_refused_over_tcp_even_to_the_admin(
    agent: Agent, tcp: NetnsClient
) -> None:
    admin = basic("admin", PASSWORD)
    for path, body in (("/api/v1/console/admin-password", {"password": NEW}),
                       ("/api/v1/console/session", {"password": PASSWORD}),
                       ("/api/v1/console/reboot", {"confirm": True})):  # fmt: skip
        answer = tcp.send("POST", path, body, source=SOURCE, headers=admin)
        assert answer.status == 403, answer
        assert "only on the unit's own console" in answer.body["error"]
    assert tcp.send("POST", "/api/v1/console/admin-password", {"password": NEW},
                    source=SOURCE).status == 401  # fmt: skip
    assert resets(agent) == []
    answer = web_log_in(tcp, PASSWORD)  # the password is as it was, nothing to change
    assert answer.status == 200 and answer.body["must_change_password"] is False


def test_the_console_log_in_checks_the_admin_password_on_the_socket(agent: Agent) -> None:
    assert local_status(agent, "/api/v1/console/session", {"password": "not-it-at-all"}) == 401
    assert local_status(agent, "/api/v1/console/session", {"password": PASSWORD}) == 200


def test_orpheus_console_resets_the_password_audited_and_forced_to_change(
    agent: Agent, tcp: NetnsClient
) -> None:
    lines = [PASSWORD, "1", "4", NEW, NEW, "5"]
    command = [sys.executable, "-c", "import sys; from orpheus.console.main import main; "
               "sys.exit(main())", "--socket", str(agent.socket), "--", "admin"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(SOURCE_DIR / "agent")}
    result = subprocess.run(command, input="".join(f"{line}\n" for line in lines), env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"Serial:      {SERIAL}" in out
    fingerprint = local(agent, "GET", "/api/v1/status")["tls_fingerprint"]
    assert fingerprint and fingerprint in out
    assert "HA role:     not paired" in out
    assert "Admin password reset: it must be changed at the next web log-in." in out
    assert out.rstrip().endswith("Logged out.")

    [entry] = resets(agent)
    assert (entry["object"], entry["user"]) == ("user admin", console_user())
    assert NEW not in str(entry)

    assert web_log_in(tcp, PASSWORD).status == 401  # the old one is gone
    session = web_log_in(tcp, NEW)
    assert session.status == 200 and session.body["must_change_password"] is True
    cookie = {"Cookie": f"orpheus_session={session.cookie()}"}
    refused = tcp.send("GET", "/api/v1/status", source=SOURCE, headers=cookie)
    assert refused.status == 403 and "must be changed first" in refused.body["error"]
    headers = {**cookie, "X-CSRF-Token": session.body["csrf_token"]}
    changed = tcp.send("PUT", "/api/v1/session/password",
                       {"current_password": NEW, "password": "willow-anchor-82"},
                       source=SOURCE, headers=headers)  # fmt: skip
    assert changed.status == 200 and changed.body["must_change_password"] is False


def test_a_reset_directly_on_the_socket_forces_a_change_again(
    agent: Agent, tcp: NetnsClient
) -> None:
    answer = local(agent, "POST", "/api/v1/console/admin-password", {"password": PASSWORD})
    assert answer == {"must_change_password": True}
    assert len(resets(agent)) == 2
    session = web_log_in(tcp, PASSWORD)
    assert session.status == 200 and session.body["must_change_password"] is True
    weak = local_status(agent, "/api/v1/console/admin-password", {"password": "password"})
    assert weak == 400 and len(resets(agent)) == 2
    assert Path(agent.data_dir / "orpheus/admin-password-must-change").exists()
