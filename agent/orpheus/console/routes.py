"""The agent's side of the console menu: routes only the physical console may call.

"Physical console" is the agent's root-only Unix socket with a root peer, as the kernel
names it (SO_PEERCRED, api/peer.py): orpheus-console runs there as root, started by agetty
on the screen and the serial port. Over TCP these routes are refused whoever asks, so the
admin password reset (the appliance's way back in when the password is lost) can never be
reached from the network. Root on the unit (SSH with a key) could set the password anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import bottle

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api, ApiError, json_body
from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.auth import ADMIN_USER
from orpheus.dbus.systemd import SystemdError
from orpheus.users.levels import OWN

log = logging.getLogger(__name__)

# The address the log-in limits count the console's wrong passwords under: one for every
# console of the unit, never a network address (a guesser there cannot block the console).
CONSOLE_ADDRESS = "console"
REBOOT_DELAY_SECONDS = 1.0  # the answer reaches the menu before systemd stops the agent
PASSWORD = string(max_length=128)
_ONLY_HERE = "only on the unit's own console (the agent's Unix socket, as root)"


class ConsoleFeature:
    name = "console"

    def __init__(self, api: Api, audit: AuditSink, reboot: Callable[[], None] | None) -> None:
        """reboot: systemd's orderly reboot; None on an agent whose host is not the unit."""
        self._api = api
        self._audit = audit
        self._reboot_unit = reboot

    def install_routes(self, api: Api) -> None:
        api.route("POST", "/api/v1/console/session", self.log_in, area=OWN,
                  summary=f"The console menu's log-in: the admin password checked, {_ONLY_HERE}",
                  body=obj({"password": PASSWORD}, ("password",)),
                  response=obj({"user": string(), "must_change_password": {"type": "boolean"}},
                               ("user", "must_change_password")))  # fmt: skip
        api.route("POST", "/api/v1/console/admin-password", self.reset_admin_password,
                  area="users", summary=f"Reset the admin password, {_ONLY_HERE}; it must "
                  "be changed at the next web log-in",
                  body=obj({"password": PASSWORD}, ("password",)),
                  response=obj({"must_change_password": {"type": "boolean"}},
                               ("must_change_password",)))  # fmt: skip
        api.route("POST", "/api/v1/console/reboot", self.reboot, area="firmware",
                  summary=f"Reboot the unit, {_ONLY_HERE}",
                  body=obj({"confirm": {"type": "boolean", "const": True}}, ("confirm",)),
                  response=obj({"rebooting": {"type": "boolean"}}, ("rebooting",)))  # fmt: skip

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def log_in(self) -> dict[str, Any]:
        require_physical_console()
        # The same check as every log-in: the bounded scrypt runs, the limit per address
        # (the console's own: 401, then 429 with Retry-After, growing); not the per-user
        # limit, which wrong passwords sent over the network would trip for the console too.
        account = self._api.authenticator.log_in(
            ADMIN_USER, json_body()["password"], CONSOLE_ADDRESS, per_user=False
        )
        log.info("admin logged in on the console (%s)", request_user())
        return {"user": account.name, "must_change_password": account.must_change_password}

    def reset_admin_password(self) -> dict[str, Any]:
        require_physical_console()
        # Not the admin's own change: the next web log-in must change it (store.set_user).
        self._api.users.set_user(ADMIN_USER, password=json_body()["password"], own=False)
        after = {"password": "reset on the console", "must_change_password": True}
        self._audit.append(
            AuditEntry("user.password.reset", f"user {ADMIN_USER}", request_user(), None, after)
        )
        return {"must_change_password": self._api.users.passwords.must_change()}

    def reboot(self) -> dict[str, Any]:
        require_physical_console()
        if self._reboot_unit is None:
            raise ApiError(503, "this agent does not reboot its host (reboot_enabled = false)")
        self._audit.append(AuditEntry("unit.reboot", "unit", request_user(), None, None))
        timer = threading.Timer(REBOOT_DELAY_SECONDS, self._reboot)
        timer.daemon = True
        timer.start()
        return {"rebooting": True}

    def _reboot(self) -> None:
        assert self._reboot_unit is not None
        try:
            self._reboot_unit()
        except SystemdError as error:
            log.error("console reboot failed: %s", error)


def require_physical_console() -> None:
    """403 unless the request came on the Unix socket from a process running as root."""
    environ = bottle.request.environ
    peer = environ.get(PEER_ENVIRON_KEY)
    local = bool(environ.get(LOCAL_ENVIRON_KEY))
    if not (local and isinstance(peer, PeerCredentials) and peer.uid == 0):
        raise ApiError(403, f"refused: {_ONLY_HERE}")
