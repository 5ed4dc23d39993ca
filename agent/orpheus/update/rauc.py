"""RAUC's D-Bus service (de.pengutronix.rauc.Installer) through dbus-next."""

from __future__ import annotations

import asyncio
from typing import Any

BUS_NAME = "de.pengutronix.rauc"
OBJECT_PATH = "/"
INSTALLER = "de.pengutronix.rauc.Installer"


class RaucError(RuntimeError):
    pass


async def _call(member: str, signature: str = "", body: list[Any] | None = None) -> list[Any]:
    from dbus_next import BusType, Message, MessageType
    from dbus_next.aio import MessageBus

    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        reply = await bus.call(
            Message(
                destination=BUS_NAME,
                path=OBJECT_PATH,
                interface=INSTALLER,
                member=member,
                signature=signature,
                body=body or [],
            )
        )
    finally:
        bus.disconnect()
    if reply is None or reply.message_type == MessageType.ERROR:
        detail = reply.body[0] if reply and reply.body else "no reply"
        raise RaucError(f"RAUC {member} failed: {detail}")
    return list(reply.body)


def mark(state: str, slot: str = "booted") -> str:
    """Marks a slot 'good', 'bad' or 'active'; returns RAUC's message."""
    _name, message = asyncio.run(_call("Mark", "ss", [state, slot]))
    return str(message)
