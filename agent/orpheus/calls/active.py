"""The calls in progress, from Asterisk's channels: one call per linked id (every channel of a
call carries the unique id of the channel that started it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orpheus.asterisk.parsers import Channel
from orpheus.pbx.render import trunk_endpoint

TRUNK_PREFIX = trunk_endpoint("")


@dataclass(frozen=True)
class ActiveCall:
    id: str
    channels: tuple[Channel, ...]  # the one that started the call first

    @property
    def first(self) -> Channel:
        return self.channels[0]

    @property
    def trunk(self) -> str | None:
        for channel in self.channels:
            endpoint = channel.endpoint or ""
            if endpoint.startswith(TRUNK_PREFIX):
                return endpoint[len(TRUNK_PREFIX) :]
        return None

    @property
    def state(self) -> str:
        """up once the starting channel and a party it reached (if any) are answered."""
        others = self.channels[1:]
        answered = not others or any(c.state == "Up" for c in others)
        return "up" if self.first.state == "Up" and answered else "ringing"

    def as_dict(self) -> dict[str, Any]:
        first = self.first
        return {
            "id": self.id,
            "from": first.caller_number,
            "to": first.exten,
            "state": self.state,
            "duration_seconds": max(c.duration_seconds for c in self.channels),
            "trunk": self.trunk,
            "channels": [_channel(c) for c in self.channels],
        }


def _channel(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "endpoint": channel.endpoint,
        "state": channel.state,
        "caller": {"number": channel.caller_number, "name": channel.caller_name},
        "connected": {"number": channel.connected_number, "name": channel.connected_name},
        "duration_seconds": channel.duration_seconds,
    }


def calls(channels: list[Channel]) -> list[ActiveCall]:
    grouped: dict[str, list[Channel]] = {}
    for channel in channels:
        grouped.setdefault(channel.linked_id, []).append(channel)
    found = []
    for linked_id, members in grouped.items():
        members.sort(key=lambda c: (c.unique_id != linked_id, -c.duration_seconds))
        found.append(ActiveCall(linked_id, tuple(members)))
    return found
