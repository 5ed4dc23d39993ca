"""The console's text menu: the admin password, then status, network, reboot, password reset.

It is not a shell: every line is a choice among a few, or a value the agent checks; nothing
typed is run or shown back. A wrong choice is answered with one line. Wrong passwords are
counted here (a few per run, then the menu ends and agetty shows the prompt again) and by
the agent (per the console's address, growing waits: console/routes.py).

Log-in names: `admin`, and `recover` for a lost admin password: being at the unit's own
console is the proof (the appliance's usual way back in), the reset is audited and the new
password must be changed at the next web log-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from orpheus.cli.client import AgentError
from orpheus.console.agent import ConsoleAgent
from orpheus.console.terminal import EndOfInput, LineTooLong, Terminal

ADMIN, RECOVER = "admin", "recover"
MAX_PASSWORD_ATTEMPTS = 3
FAIL_DELAY_SECONDS = 2.0  # as login(1): each wrong password costs the guesser a wait here too
TOO_MANY = 429
WRONG_PASSWORD = 401
MIN_PASSWORD_LENGTH = 8  # the agent checks the rest (zxcvbn); this saves a round trip


class Menu:
    def __init__(
        self,
        terminal: Terminal,
        agent: ConsoleAgent,
        *,
        attempts: int = MAX_PASSWORD_ATTEMPTS,
        fail_delay: float = FAIL_DELAY_SECONDS,
    ) -> None:
        self._t = terminal
        self._agent = agent
        self._attempts = attempts
        self._fail_delay = fail_delay
        self._items: list[tuple[str, Callable[[], bool]]] = [
            ("Status", self.status),
            ("Network address", self.network),
            ("Reboot", self.reboot),
            ("Reset the admin password", self.reset_password),
            ("Log out", lambda: False),
        ]

    def run(self, user: str | None = None) -> int:
        """0 after a log-out (or end of input), 1 when the log-in failed."""
        try:
            return self._run(user)
        except EndOfInput:  # Ctrl-D, hung up or idle: as a log-out
            self._t.say()
            self._t.say("Logged out.")
            return 0

    def _run(self, user: str | None) -> int:
        name = user if user is not None else self._ask("login: ")
        if name is None:
            return 1
        if name == RECOVER:
            self.recover()
            return 0
        if name != ADMIN:
            self._t.say(f"Only {ADMIN!r} logs in here ({RECOVER!r} for a lost admin password).")
            return 1
        if not self.log_in():
            return 1
        self.loop()
        return 0

    # --- log-in ----------------------------------------------------------------------------

    def log_in(self) -> bool:
        for _ in range(self._attempts):
            password = self._ask("Password: ", secret=True)
            if password is None:  # too long: said, and counted
                continue
            if not password:
                self._t.say("Login incorrect.")
                continue
            try:
                answer = self._agent.log_in(password)
            except AgentError as error:
                if error.status == WRONG_PASSWORD:
                    time.sleep(self._fail_delay)
                    self._t.say("Login incorrect.")
                    continue
                self._t.say(f"Refused: {error}")  # a 429 names its wait; or the agent is down
                return False
            if answer.get("must_change_password"):
                self._t.say("Note: the admin password must be changed at the next web log-in.")
            return True
        self._t.say("Too many wrong passwords.")
        return False

    # --- the menu --------------------------------------------------------------------------

    def loop(self) -> None:
        last = len(self._items)
        while True:
            self._t.say()
            for number, (label, _) in enumerate(self._items, 1):
                self._t.say(f"  {number}  {label}")
            choice = self._ask(f"Choice [1-{last}]: ")
            if choice is None:  # too long: already answered
                continue
            item = self._item(choice)
            if item is None:
                self._t.say(f"Choose a number from 1 to {last}.")
                continue
            if not item():
                self._t.say("Logged out.")
                return

    def _item(self, choice: str) -> Callable[[], bool] | None:
        if not choice.isascii() or not choice.isdigit():
            return None
        index = int(choice) - 1
        return self._items[index][1] if 0 <= index < len(self._items) else None

    def status(self) -> bool:
        answers = {area: self._read(area) for area in ("status", "identity", "network", "tls")}
        ha = self._read("ha")
        status, network = answers["status"], answers["network"]
        addresses = [f"{a['interface']} {a['address']}" for a in network.get("addresses", [])]
        identity = answers["identity"].get("identity") or {}
        port = answers["tls"].get("https_port", 443)
        rows = [
            ("Serial", identity.get("serial") or "not set"),
            ("Firmware", _firmware(status)),
            ("Addresses", ", ".join(addresses) or "none"),
            ("Network", network.get("mode", "unknown")),
            ("HTTPS", ", ".join(_url(a["address"], port) for a in network.get("addresses", []))
             or "no address"),
            ("Fingerprint", status.get("tls_fingerprint") or "none (HTTPS is not served)"),
            ("HA role", _ha_role(ha)),
        ]  # fmt: skip
        for label, value in rows:
            self._t.say(f"  {label + ':':<13}{value}")
        return True

    def network(self) -> bool:
        current = self._read("network")
        self._t.say(f"  Now: {current.get('mode', 'unknown')}")
        for found in current.get("addresses", []):
            self._t.say(f"    {found['interface']} {found['address']}")
        choice = self._ask("  1 DHCP, 2 static address, empty: back: ")
        if choice == "1":
            self._apply_network({"mode": "dhcp"})
        elif choice == "2":
            settings = self._static_settings(current)
            if settings is not None:
                self._apply_network(settings)
        elif choice:
            self._t.say("Nothing changed (choose 1, 2 or an empty line).")
        return True

    def _static_settings(self, current: dict[str, Any]) -> dict[str, Any] | None:
        known = [found["interface"] for found in current.get("addresses", [])]
        default = current.get("interface") or (known[0] if known else "")
        interface = self._ask(f"  Interface [{default}]: ") or default
        address = self._ask("  Address/prefix (e.g. 192.0.2.10/24): ")
        if not interface or not address:
            self._t.say("Nothing changed (an interface and an address are needed).")
            return None
        gateway = self._ask("  Gateway (empty: none): ")
        dns = self._ask("  DNS servers, separated by spaces (empty: none): ")
        if gateway is None or dns is None:
            return None
        settings: dict[str, Any] = {"mode": "static", "interface": interface, "address": address,
                                    "dns": dns.replace(",", " ").split()}  # fmt: skip
        if gateway:
            settings["gateway"] = gateway
        return settings

    def _apply_network(self, settings: dict[str, Any]) -> None:
        if not self._confirm("  Apply now? A connection to the old address is cut. [y/N]: "):
            self._t.say("Nothing changed.")
            return
        try:
            answer = self._agent.set_network(settings)
        except AgentError as error:
            self._t.say(f"Refused: {error}")
            return
        if answer.get("applied", True):
            self._t.say(f"Network set to {answer.get('mode')}.")
        else:
            self._t.say(f"Saved, applied at the next boot: {answer.get('apply_error')}")

    def reboot(self) -> bool:
        if not self._confirm("  Reboot the unit now? Calls in progress are cut. [y/N]: "):
            self._t.say("Not rebooted.")
            return True
        try:
            self._agent.reboot()
        except AgentError as error:
            self._t.say(f"Refused: {error}")
            return True
        self._t.say("Rebooting.")
        return False

    def reset_password(self) -> bool:
        password = self._new_password()
        if password is None:
            return True
        try:
            self._agent.reset_admin_password(password)
        except AgentError as error:
            self._t.say(f"Refused: {error}")
            return True
        self._t.say("Admin password reset: it must be changed at the next web log-in.")
        return True

    def recover(self) -> None:
        self._t.say("Reset a lost admin password: allowed on this console only, and audited.")
        if self._confirm("  Go on? [y/N]: "):
            self.reset_password()
        else:
            self._t.say("Nothing changed.")

    def _new_password(self) -> str | None:
        password = self._ask("  New admin password: ", secret=True)
        if not password:
            self._t.say("Nothing changed.")
            return None
        if len(password) < MIN_PASSWORD_LENGTH:
            self._t.say(f"Too short: at least {MIN_PASSWORD_LENGTH} characters. Nothing changed.")
            return None
        if self._ask("  Again: ", secret=True) != password:
            self._t.say("The two differ. Nothing changed.")
            return None
        return password

    # --- inside ----------------------------------------------------------------------------

    def _ask(self, prompt: str, *, secret: bool = False) -> str | None:
        """The line typed; None (said in one line) for a line over the bound."""
        try:
            return self._t.ask(prompt, secret=secret)
        except LineTooLong as error:
            self._t.say(f"Refused: {error}.")
            return None

    def _confirm(self, prompt: str) -> bool:
        return (self._ask(prompt) or "").lower() in ("y", "yes")

    def _read(self, area: str) -> dict[str, Any]:
        try:
            return self._agent.get(area)
        except AgentError as error:
            self._t.say(f"  ({area} unavailable: {error})")
            return {}


def _firmware(status: dict[str, Any]) -> str:
    version = status.get("version") or "unknown"
    slot = status.get("booted_slot")
    return f"{version} (slot {slot})" if slot else str(version)


def _url(address: str, port: int) -> str:
    host = address.split("/")[0]
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}{'' if port == 443 else f':{port}'}/"


def _ha_role(ha: dict[str, Any]) -> str:
    if not ha:
        return "unknown"
    if not ha.get("paired"):
        return "not paired"
    role = str(ha.get("role") or "unknown")
    return role + ("" if ha.get("peer_reachable") else " (peer unreachable)")
