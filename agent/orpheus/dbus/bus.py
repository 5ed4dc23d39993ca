"""Calls on the system bus with dbus-next: one short-lived connection per operation, a
timeout on every call, and errors as one line naming the service and the cause.

Each wrapper subclasses BusError, so its callers catch one type (RaucError, SystemdError)
whether the bus is missing, the service is not running or it refused the call.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dbus_next.aio.message_bus import MessageBus
from dbus_next.constants import BusType, MessageType
from dbus_next.errors import AuthError, InvalidAddressError
from dbus_next.message import Message
from dbus_next.signature import Variant

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket"
DBUS_NAME = "org.freedesktop.DBus"
PROPERTIES = "org.freedesktop.DBus.Properties"


class BusError(RuntimeError):
    """A D-Bus operation failed; str() is one line for logs and API answers."""


@dataclass(frozen=True)
class Service:
    """A service on the system bus, the error type its callers catch and its name in messages."""

    name: str
    error: type[BusError]
    label: str


def system_bus_address() -> str:
    """Where dbus-next looks for the system bus (the variable points tests at their own)."""
    return os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", DEFAULT_SYSTEM_BUS)


async def connect(service: Service) -> MessageBus:
    try:
        return await MessageBus(bus_type=BusType.SYSTEM).connect()
    except (OSError, AuthError, InvalidAddressError) as error:
        cause = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise service.error(
            f"cannot reach the system bus at {system_bus_address()}: {cause}"
        ) from error


def disconnect(connection: MessageBus) -> None:
    connection.disconnect()  # type: ignore[no-untyped-call]  # dbus-next has no hint here


async def call(
    bus: MessageBus,
    service: Service,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: Sequence[Any] = (),
) -> list[Any]:
    """One method call; an error reply becomes service.error with the service's own message."""
    reply = await bus.call(
        Message(
            destination=service.name,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=list(body),
        )
    )
    if reply is None:
        raise service.error(f"no reply from {service.label} to {member}")
    if reply.message_type == MessageType.ERROR:
        raise service.error(_error_text(reply))
    return list(reply.body)


async def add_match(bus: MessageBus, rule: str) -> None:
    """Asks the bus daemon to route the signals matching rule to this connection."""
    await bus.call(
        Message(
            destination=DBUS_NAME,
            path="/org/freedesktop/DBus",
            interface=DBUS_NAME,
            member="AddMatch",
            signature="s",
            body=[rule],
        )
    )


def run(service: Service, operation: Coroutine[Any, Any, T], timeout: float) -> T:
    """Runs one operation (its own event loop: callers are plain threads) within timeout."""
    try:
        return asyncio.run(asyncio.wait_for(operation, timeout))
    except TimeoutError as error:
        raise service.error(f"no answer from {service.label} within {timeout:g} s") from error


def unwrap(value: Any) -> Any:
    """dbus-next Variants (nested in dicts and lists) to plain Python values."""
    if isinstance(value, Variant):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def _error_text(reply: Message) -> str:
    """The service's own message (RAUC names the cause: signature, compatible, ...)."""
    detail = str(reply.body[0]).strip() if reply.body else ""
    return detail or str(reply.error_name)
