"""GET /api/v1/pbx/callclass-refusals: outbound calls the call classes refused.

The dialplan counts them in Asterisk's database (call_classes.REFUSED_COUNTER), so the count
includes calls refused while the agent was stopped and survives restarts.
"""

from __future__ import annotations

import re
from typing import Any

from orpheus.api.app import Api
from orpheus.api.schema import obj
from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.pbx.call_classes import REFUSED_COUNTER

_VALUE = re.compile(r"Value: ([0-9]{1,18})\s*")


def parse_counter(output: str) -> int:
    """`database get` output: "Value: N", or no entry yet (0)."""
    found = _VALUE.search(output)
    return int(found.group(1)) if found else 0


class CallClassFeature:
    name = "callclass"

    def __init__(self, asterisk: Asterisk) -> None:
        self._asterisk = asterisk

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/pbx/callclass-refusals",
            self.refusals,
            area="pbx",
            summary="Outbound calls refused by the callers' call classes",
            response=obj({"refused": {"type": ["integer", "null"]}}, ("refused",)),
        )

    def start(self) -> None:
        """Nothing runs in the background: the dialplan counts."""

    def stop(self) -> None:
        """Nothing to stop."""

    def refusals(self) -> dict[str, Any]:
        family, key = REFUSED_COUNTER.split("/")
        try:
            output = self._asterisk.cli(f"database get {family} {key}")
        except AsteriskUnavailable:
            return {"refused": None}  # Asterisk not running: unknown, not zero
        return {"refused": parse_counter(output)}
