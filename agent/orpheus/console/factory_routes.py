"""The agent's factory route: a sealed unit re-opened by the factory's token (factory/reopen.py).

POST /api/v1/factory/reopen, only on the unit's own console (the agent's Unix socket with a
root peer, as the console menu's routes): never over the network, whatever the password, so
re-opening takes the factory's signed token and a hand on the unit. Audited, the token's nonce
and expiry with it (the token opens nothing once used).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.console.routes import require_physical_console
from orpheus.factory.reopen import FIELDS, ReopenRefused, reopen
from orpheus.licensing.factory_signature import load_factory_key

log = logging.getLogger(__name__)

TOKEN = obj({name: string(max_length=512) for name in sorted(FIELDS)}, tuple(sorted(FIELDS)))
# reboot_needed: the factory console starts only at boot, and only while no identity is there.
ANSWER = obj(
    {"serial": string(), "kept_as": string(), "reboot_needed": {"type": "boolean"}},
    ("serial", "kept_as", "reboot_needed"),
)


class FactoryFeature:
    name = "factory"

    def __init__(self, state_dir: Path, factory_key: Path, audit: AuditSink) -> None:
        """factory_key: the factory's public key in the image (the identities' signer)."""
        self._state_dir = state_dir
        self._factory_key = factory_key
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route("POST", "/api/v1/factory/reopen", self.reopen, area="firmware",
                  summary="Re-open the factory console of a sealed unit with the factory's "
                  "signed token (its identity kept aside; the console answers at the next "
                  "boot), only on the unit's own console (the agent's Unix socket, as root)",
                  body=obj({"token": TOKEN}, ("token",)),
                  response=ANSWER)  # fmt: skip

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def reopen(self) -> dict[str, Any]:
        require_physical_console()
        token = json_body()["token"]
        try:
            done = reopen(token, self._state_dir, load_factory_key(self._factory_key))
        except ReopenRefused as error:
            raise ApiError(400, str(error)) from error
        after = {"kept_as": done.kept_as.name, "nonce": token["nonce"],
                 "not_after": done.not_after}  # fmt: skip
        self._audit.append(
            AuditEntry("factory.reopen", f"unit {done.serial}", request_user(), None, after)
        )
        log.warning("factory console re-opened for %s: identity kept as %s", done.serial,
                    done.kept_as)  # fmt: skip
        return {"serial": done.serial, "kept_as": str(done.kept_as), "reboot_needed": True}
