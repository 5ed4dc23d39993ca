"""The shape every area of the agent (status, licensing, updates, HA, SNMP, storage) takes."""

from __future__ import annotations

from typing import Protocol

from orpheus.api.app import Api


class Feature(Protocol):
    name: str

    def install_routes(self, api: Api) -> None:
        """Adds the feature's endpoints under /api/v1/."""

    def start(self) -> None:
        """Starts background work; must return quickly."""

    def stop(self) -> None:
        """Stops background work."""
