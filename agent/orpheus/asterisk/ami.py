"""A minimal Asterisk Manager Interface client: log in, send actions, read the responses.

One connection per use: the agent talks to AMI only to apply configuration and read a few
figures, so there is no event stream to follow and no connection to keep alive.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from orpheus.asterisk.control import AsteriskUnavailable

TIMEOUT_SECONDS = 30.0


class AmiError(RuntimeError):
    """Asterisk answered an action with an error."""


Message = dict[str, str]


class AmiConnection:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self._action_id = 0
        self._read_block()  # the banner line "Asterisk Call Manager/x.y"

    def _read_block(self) -> list[str]:
        while b"\r\n\r\n" not in self._buffer and not self._buffer.startswith(b"Asterisk Call"):
            chunk = self._sock.recv(65536)
            if not chunk:
                raise AsteriskUnavailable("AMI connection closed by Asterisk")
            self._buffer += chunk
        if self._buffer.startswith(b"Asterisk Call"):
            line, _, self._buffer = self._buffer.partition(b"\r\n")
            return [line.decode(errors="replace")]
        block, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        return block.decode(errors="replace").split("\r\n")

    def _read_message(self) -> tuple[Message, list[str]]:
        fields: Message = {}
        output: list[str] = []
        for line in self._read_block():
            key, sep, value = line.partition(": ")
            if key == "Output" and sep:
                output.append(value)
            elif sep:
                fields[key] = value
            else:
                output.append(line)
        return fields, output

    def action(self, name: str, **fields: str) -> tuple[Message, list[str]]:
        """Sends an action and returns its response fields and any output lines."""
        for key, value in fields.items():  # a line break would start a header of its own
            if "\r" in value or "\n" in value:
                raise ValueError(f"AMI {name}: a line break in field {key!r}")
        self._action_id += 1
        action_id = f"orpheus-{self._action_id}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        lines += [f"{key}: {value}" for key, value in fields.items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            message, output = self._read_message()
            if message.get("ActionID") == action_id and "Response" in message:
                if message["Response"] == "Error":
                    raise AmiError(f"{name}: {message.get('Message', 'error')}")
                return message, output

    def next_message(self) -> Message:
        """The next message Asterisk sends: on a session logged in with events, an event."""
        return self._read_message()[0]

    def command(self, command: str) -> list[str]:
        return self.action("Command", Command=command)[1]

    def action_list(self, name: str, **fields: str) -> list[Message]:
        """Sends an action that answers with a list of events (CoreShowChannels) and returns
        the events up to the one that ends the list (EventList: Complete), that one left out."""
        answer, _ = self.action(name, **fields)
        action_id = answer["ActionID"]
        if answer.get("EventList") != "start":
            return []
        events: list[Message] = []
        while True:
            message, _ = self._read_message()
            if message.get("ActionID") != action_id or "Event" not in message:
                continue
            if message.get("EventList") == "Complete":
                return events
            events.append(message)


@contextmanager
def connect(
    port: int, user: str, secret: str, host: str = "127.0.0.1", events: str = "off"
) -> Iterator[AmiConnection]:
    """events: the event classes the session receives (e.g. "security"); "off" for none."""
    try:
        sock = socket.create_connection((host, port), timeout=TIMEOUT_SECONDS)
    except OSError as error:
        raise AsteriskUnavailable(f"AMI on {host}:{port}: {error.strerror or error}") from error
    try:
        connection = AmiConnection(sock)
        try:
            connection.action("Login", Username=user, Secret=secret, Events=events)
        except AmiError as error:
            raise AsteriskUnavailable(f"AMI login refused for {user!r}: {error}") from error
        yield connection
        with contextlib.suppress(AmiError, AsteriskUnavailable, OSError):
            connection.action("Logoff")
    except OSError as error:
        raise AsteriskUnavailable(f"AMI on {host}:{port}: {error}") from error
    finally:
        sock.close()
