"""console/menu.py driven by scripted input: every item, bad input, end of input, long lines."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest

from orpheus.cli.client import AgentError
from orpheus.console.menu import Menu
from orpheus.console.terminal import Terminal

PASSWORD = "right-horse-battery"
NEW = "copper-lantern-42"
FINGERPRINT = "AB:CD:EF"
LOGOUT = "5"


@dataclass
class FakeAgent:
    """The agent's answers as the real routes give them; calls records what was asked."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    must_change: bool = False
    blocked_after: int | None = None  # wrong passwords before the agent answers 429
    wrong: int = 0
    refuse_network: str | None = None
    network: dict[str, Any] = field(default_factory=lambda: {
        "mode": "dhcp", "dns": [], "addresses": [{"interface": "enp1s0",
                                                  "address": "192.0.2.10/24"}]})  # fmt: skip

    def log_in(self, password: str) -> dict[str, Any]:
        self.calls.append(("log_in", password))
        if self.blocked_after is not None and self.wrong >= self.blocked_after:
            raise AgentError("too many wrong passwords from console: for 4 s more", 429)
        if password != PASSWORD:
            self.wrong += 1
            raise AgentError("authentication required", 401)
        return {"user": "admin", "must_change_password": self.must_change}

    def get(self, area: str) -> dict[str, Any]:
        self.calls.append(("get", area))
        return {
            "status": {"version": "1.4.0", "booted_slot": "A", "tls_fingerprint": FINGERPRINT},
            "identity": {"identity": {"serial": "ORP-0042"}},
            "network": self.network,
            "tls": {"https_port": 443},
            "ha": {"paired": True, "role": "master", "peer_reachable": True},
        }[area]

    def set_network(self, settings: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("set_network", settings))
        if self.refuse_network:
            raise AgentError(self.refuse_network, 400)
        return {**settings, "applied": True, "addresses": []}

    def reset_admin_password(self, password: str) -> dict[str, Any]:
        self.calls.append(("reset", password))
        return {"must_change_password": True}

    def reboot(self) -> dict[str, Any]:
        self.calls.append(("reboot", None))
        return {"rebooting": True}

    def asked(self, verb: str) -> list[Any]:
        return [argument for name, argument in self.calls if name == verb]


def run(lines: list[str] | str, agent: FakeAgent, user: str | None = "admin") -> tuple[int, str]:
    text = lines if isinstance(lines, str) else "".join(f"{line}\n" for line in lines)
    out = io.StringIO()
    code = Menu(Terminal(io.StringIO(text), out, max_line=64), agent, fail_delay=0).run(user)
    return code, out.getvalue()


def test_status_shows_serial_firmware_addresses_url_fingerprint_and_ha_role() -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, "1", LOGOUT], agent)
    assert code == 0
    assert "Serial:      ORP-0042" in out
    assert "1.4.0 (slot A)" in out
    assert "enp1s0 192.0.2.10/24" in out
    assert "https://192.0.2.10/" in out
    assert FINGERPRINT in out
    assert "HA role:     master" in out
    assert out.rstrip().endswith("Logged out.")
    assert agent.asked("log_in") == [PASSWORD]


def test_a_wrong_password_is_counted_and_the_menu_ends_after_three() -> None:
    agent = FakeAgent()
    code, out = run(["guess-1", "", "guess-3", PASSWORD, "1"], agent)
    assert code == 1
    assert out.count("Login incorrect.") == 3
    assert "Too many wrong passwords." in out
    assert agent.asked("log_in") == ["guess-1", "guess-3"]  # the empty one is not sent
    assert agent.asked("get") == []  # no menu was shown


def test_each_wrong_password_costs_a_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("orpheus.console.menu.time.sleep", waits.append)
    out = io.StringIO()
    menu = Menu(Terminal(io.StringIO("guess-1\nguess-2\nguess-3\n"), out), FakeAgent())
    assert menu.run("admin") == 1
    assert waits == [2.0, 2.0, 2.0]


def test_the_agent_limit_ends_the_log_in_with_its_wait() -> None:
    agent = FakeAgent(blocked_after=1)
    code, out = run(["guess", PASSWORD], agent)
    assert code == 1
    assert "Refused: too many wrong passwords from console: for 4 s more" in out
    assert agent.asked("log_in") == ["guess", PASSWORD]


def test_a_password_to_change_is_said_after_log_in() -> None:
    code, out = run([PASSWORD, LOGOUT], FakeAgent(must_change=True))
    assert code == 0 and "must be changed at the next web log-in" in out


def test_only_admin_or_recover_log_in() -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, "1"], agent, user="root")
    assert code == 1 and "Only 'admin' logs in here" in out
    assert agent.calls == []


def test_the_name_is_asked_when_agetty_gives_none() -> None:
    agent = FakeAgent()
    code, out = run(["admin", PASSWORD, LOGOUT], agent, user=None)
    assert code == 0 and out.startswith("login: Password: ")


@pytest.mark.parametrize("choice", ["0", "6", "x", "1; sh", "$(reboot)", "\u0661", "-1", " "])
def test_an_invalid_choice_is_answered_with_one_line(choice: str) -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, choice, LOGOUT], agent)
    assert code == 0
    after = out.split("Choice [1-5]: ", 1)[1].splitlines()
    assert after[0] == "Choose a number from 1 to 5."
    assert after[1] == ""  # then the menu again
    assert [name for name, _ in agent.calls] == ["log_in"]


def test_end_of_input_logs_out_cleanly_wherever_it_comes() -> None:
    for lines in ("", f"{PASSWORD}\n", f"{PASSWORD}\n2\n2\nenp1s0\n", f"{PASSWORD}\n4\n"):
        agent = FakeAgent()
        code, out = run(lines, agent)
        assert code == 0, lines
        assert out.rstrip().endswith("Logged out."), out
        assert agent.asked("set_network") == [] and agent.asked("reset") == []


def test_a_too_long_line_is_refused_in_one_line_and_dropped() -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, "1" * 500, "1" * 64, LOGOUT], agent)
    assert code == 0
    assert out.count("Refused: line too long: at most 64 characters.") == 1
    assert "Choose a number from 1 to 5." in out  # the 64 ones: a line within the bound
    assert agent.asked("get") == []  # neither line chose an item


def test_a_too_long_password_is_not_sent_and_counts() -> None:
    agent = FakeAgent()
    code, out = run(["p" * 1000, "p" * 1000, "p" * 1000, PASSWORD], agent)
    assert code == 1 and out.count("line too long") == 3
    assert agent.calls == []


def test_dhcp_is_set_after_confirmation_only() -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, "2", "1", "n", "2", "1", "y", LOGOUT], agent)
    assert code == 0
    assert agent.asked("set_network") == [{"mode": "dhcp"}]
    assert "Nothing changed." in out and "Network set to dhcp." in out


def test_a_static_address_with_gateway_and_dns() -> None:
    agent = FakeAgent()
    lines = [PASSWORD, "2", "2", "", "192.0.2.20/24", "192.0.2.1", "192.0.2.53, 192.0.2.54",
             "yes", LOGOUT]  # fmt: skip
    code, out = run(lines, agent)
    assert code == 0
    assert agent.asked("set_network") == [{
        "mode": "static", "interface": "enp1s0", "address": "192.0.2.20/24",
        "gateway": "192.0.2.1", "dns": ["192.0.2.53", "192.0.2.54"],
    }]  # fmt: skip
    assert "Network set to static." in out


def test_the_agents_refusal_of_an_address_is_shown_without_control_characters() -> None:
    agent = FakeAgent(refuse_network="not an address/prefix: '\x1b[2Jx'")
    code, out = run([PASSWORD, "2", "2", "eth0", "\x1b[2Jx", "", "", "y", LOGOUT], agent)
    assert code == 0
    assert "Refused: not an address/prefix: '?[2Jx'" in out
    assert "\x1b" not in out


def test_a_static_address_needs_an_address() -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, "2", "2", "eth0", "", LOGOUT], agent)
    assert code == 0 and agent.asked("set_network") == []
    assert "an interface and an address are needed" in out


def test_reboot_after_confirmation_ends_the_menu() -> None:
    agent = FakeAgent()
    code, out = run([PASSWORD, "3", "", "3", "y"], agent)
    assert code == 0
    assert out.count("Not rebooted.") == 1 and "Rebooting." in out
    assert agent.asked("reboot") == [None]


def test_the_admin_password_reset_asks_twice() -> None:
    agent = FakeAgent()
    lines = [PASSWORD, "4", NEW, "other-words-77", "4", "short", "4", NEW, NEW, LOGOUT]
    code, out = run(lines, agent)
    assert code == 0
    assert "The two differ. Nothing changed." in out
    assert "Too short" in out
    assert agent.asked("reset") == [NEW]
    assert "it must be changed at the next web log-in" in out


def test_recover_resets_a_lost_password_without_the_old_one() -> None:
    agent = FakeAgent()
    code, out = run(["y", NEW, NEW], agent, user="recover")
    assert code == 0
    assert agent.asked("log_in") == [] and agent.asked("reset") == [NEW]
    assert "audited" in out


def test_recover_needs_a_yes() -> None:
    agent = FakeAgent()
    code, out = run(["no", NEW, NEW], agent, user="recover")
    assert code == 0 and agent.asked("reset") == [] and "Nothing changed." in out
