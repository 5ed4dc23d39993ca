"""GET/PUT /api/v1/network: the unit's address (DHCP or static), audited, applied by
systemd-networkd (`networkctl reload` reconfigures the links whose .network file changed)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from orpheus import runner
from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import Schema, obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.network.settings import (
    DHCP,
    INTERFACE_PATTERN,
    MAX_DNS_SERVERS,
    STATIC,
    NetworkInvalid,
    NetworkStore,
    from_dict,
)

log = logging.getLogger(__name__)

AREA = "network"
APPLY_TIMEOUT_SECONDS = 20.0
IP_TIMEOUT_SECONDS = 5.0
_ADDRESS = string(max_length=64)
SETTINGS: dict[str, Schema] = {
    "mode": {"enum": [DHCP, STATIC]},
    "interface": string(INTERFACE_PATTERN, max_length=15, error="an interface name, e.g. enp1s0"),
    "address": _ADDRESS,
    "gateway": _ADDRESS,
    "dns": {"type": "array", "items": _ADDRESS, "maxItems": MAX_DNS_SERVERS},
}
CURRENT = {
    "type": "array",
    "items": obj({"interface": string(), "address": string()}, ("interface", "address")),
}
ANSWER = obj({**SETTINGS, "addresses": CURRENT, "applied": {"type": "boolean"},
              "apply_error": string(max_length=2000)}, ("mode", "dns"))  # fmt: skip


class NetworkFeature:
    name = "network"

    def __init__(self, store: NetworkStore, apply_command: Sequence[str], audit: AuditSink) -> None:
        self._store = store
        self._apply_command = list(apply_command)
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route("GET", "/api/v1/network", self.show, area=AREA,
                  summary="The address settings (DHCP or static) and the addresses now held",
                  response=ANSWER)  # fmt: skip
        api.route("PUT", "/api/v1/network", self.change, area=AREA,
                  summary="DHCP, or a static address/prefix on one interface with its gateway "
                  "and DNS servers; applied at once (a client on the old address loses it)",
                  body=obj(SETTINGS, ("mode",)), response=ANSWER)  # fmt: skip

    def start(self) -> None:
        try:
            self._store.ensure_written()
        except OSError as error:  # the image's DHCP file still serves
            log.error("network settings not written: %s", error)

    def stop(self) -> None:
        pass

    def show(self) -> dict[str, Any]:
        return {**self._store.load().as_dict(), "addresses": current_addresses()}

    def change(self) -> dict[str, Any]:
        try:
            settings = from_dict(json_body())
        except NetworkInvalid as error:
            raise ApiError(400, str(error)) from error
        before = self._store.load()
        self._store.save(settings)
        self._audit.append(AuditEntry("network.change", "network", request_user(),
                                      before.as_dict(), settings.as_dict()))  # fmt: skip
        answer: dict[str, Any] = {**settings.as_dict(), "applied": True}
        failure = self._apply()
        if failure is not None:  # saved: it applies at the next boot
            answer.update(applied=False, apply_error=failure)
        return {**answer, "addresses": current_addresses()}

    def _apply(self) -> str | None:
        if not self._apply_command:
            return None
        try:
            runner.run(self._apply_command, timeout=APPLY_TIMEOUT_SECONDS)
        except runner.CommandError as error:
            log.warning("network settings saved, not applied: %s", error)
            return str(error)
        return None


def current_addresses() -> list[dict[str, str]]:
    """Global addresses of the interfaces that are up, as `ip -j addr` shows them now."""
    try:
        result = runner.run(["ip", "-j", "addr", "show", "up"], timeout=IP_TIMEOUT_SECONDS)
        links = json.loads(result.stdout or "[]")
    except (runner.CommandError, ValueError) as error:
        log.info("addresses not read: %s", error)
        return []
    return [
        {"interface": str(link.get("ifname")), "address": f"{info['local']}/{info['prefixlen']}"}
        for link in links if isinstance(link, dict)
        for info in link.get("addr_info", [])
        if isinstance(info, dict) and info.get("scope") == "global" and "local" in info
    ]  # fmt: skip
