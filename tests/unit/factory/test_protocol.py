"""The factory console protocol over a real pty pair: the unit's end on the master, the
station's through pyserial on the slave's path, with bytes dropped and flipped on the way."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import serial

from orpheus.factory.protocol import (
    CORRUPT,
    MARKER,
    MAX_LINE,
    ConsoleClient,
    ConsoleServer,
    FdLink,
    LinkError,
    Refused,
    RemoteError,
    decode_line,
    encode_frame,
)

Mangle = Callable[[int, bytes], bytes]  # (frame number, frame) -> what goes on the line


@dataclass
class Faulty:
    """A link that passes each written frame through mangle (writes are whole frames here)."""

    inner: Any
    mangle: Mangle = lambda _n, frame: frame
    written: int = 0

    def read(self, size: int = 1) -> bytes:
        return bytes(self.inner.read(size))

    def write(self, data: bytes, /) -> int:
        self.written += 1
        self.inner.write(self.mangle(self.written, data))
        return len(data)


@dataclass
class Counter:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((op, args))
        if op == "refuse":
            raise Refused("no, and here is why\nsecond line")
        return {"op": op, "n": len(self.calls), "echo": args}


@dataclass
class Line:
    station: Faulty
    unit: Faulty
    server: ConsoleServer
    handler: Counter
    client: ConsoleClient


@pytest.fixture
def line() -> Iterator[Line]:
    master, slave = os.openpty()
    port = serial.serial_for_url(os.ttyname(slave), baudrate=115200, timeout=0.05)
    handler = Counter()
    unit = Faulty(FdLink(master, timeout=0.05))
    server = ConsoleServer(unit, handler)
    station = Faulty(port)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.serve_one(timeout=0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Line(station, unit, server, handler, ConsoleClient(station, timeout=1.0))
    finally:
        stop.set()
        thread.join(timeout=5)
        port.close()
        os.close(slave)
        os.close(master)


def drop_middle(frame: bytes) -> bytes:
    return frame[: len(frame) // 2] + frame[len(frame) // 2 + 3 :]


def flip_one(frame: bytes) -> bytes:
    at = len(frame) // 2
    return frame[:at] + bytes([frame[at] ^ 0x10]) + frame[at + 1 :]


def test_a_request_is_answered(line: Line) -> None:
    assert line.client.call("hello", {"x": 1}) == {"op": "hello", "n": 1, "echo": {"x": 1}}
    assert line.client.call("again") == {"op": "again", "n": 2, "echo": {}}
    assert line.client.resent == 0


def test_a_refusal_is_one_line(line: Line) -> None:
    with pytest.raises(RemoteError, match=r"\Ano, and here is why\Z"):
        line.client.call("refuse")


def truncate(frame: bytes) -> bytes:
    return frame[:-8]


@pytest.mark.parametrize("damage", [drop_middle, flip_one, truncate])
def test_a_damaged_request_is_never_acted_on_and_sent_again(
    line: Line, damage: Callable[[bytes], bytes]
) -> None:
    line.station.mangle = lambda n, frame: damage(frame) if n == 1 else frame
    assert line.client.call("write-once", {"v": "a"})["n"] == 1
    assert line.handler.calls == [("write-once", {"v": "a"})]
    # a truncated frame is only noticed when the next one ends its line: one more retry
    assert line.client.resent in (1, 2)


def test_a_lost_reply_does_not_run_the_request_twice(line: Line) -> None:
    """The unit ran it; its reply is damaged twice: the station sends the same request three
    times, and the unit answers the later two from its cache."""
    line.unit.mangle = lambda n, frame: flip_one(frame) if n <= 2 else frame
    assert line.client.call("keygen")["n"] == 1
    assert line.client.call("next")["n"] == 2
    assert [op for op, _ in line.handler.calls] == ["keygen", "next"]
    assert line.server.executed == 2
    assert line.client.resent == 2


def test_a_cut_line_gives_up_after_its_attempts(line: Line) -> None:
    line.station.mangle = lambda _n, _frame: b""
    client = ConsoleClient(line.station, timeout=0.2, attempts=3)
    with pytest.raises(LinkError, match="after 3 attempts"):
        client.call("seal")
    assert line.handler.calls == []


def test_console_noise_between_frames_is_ignored(line: Line) -> None:
    noise = b"[   12.345] systemd[1]: Started something.\r\n"
    line.station.mangle = lambda _n, frame: noise + frame + noise
    assert line.client.call("hardware")["n"] == 1
    assert line.client.resent == 0


def test_overlong_and_malformed_lines_are_refused() -> None:
    assert decode_line(MARKER + b"A" * 10 + b" 00000000") is CORRUPT
    assert decode_line(b"kernel: " + MARKER + b"x") is CORRUPT
    assert decode_line(b"login: ") is None
    assert decode_line(encode_frame({"retry": True}).strip()) == {"retry": True}
    with pytest.raises(ValueError, match="too large"):
        encode_frame({"blob": "x" * MAX_LINE})


def test_an_overlong_line_on_the_wire_asks_for_a_retry(line: Line) -> None:
    line.station.mangle = lambda n, frame: (
        MARKER + b"A" * (MAX_LINE + 10) + frame if n == 1 else frame
    )
    assert line.client.call("hardware")["n"] == 1
    assert line.client.resent >= 1


@pytest.mark.parametrize(
    "message",
    [
        {"session": "0" * 16, "seq": 1, "op": "x"},
        {"session": "0" * 16, "seq": True, "op": "x", "args": {}},
        {"session": "0" * 15, "seq": 1, "op": "x", "args": {}},
        {"session": "0" * 16, "seq": 1, "op": "x\n", "args": {}},
        {"session": "0" * 16, "seq": 1, "op": "x", "args": [], "extra": 1},
    ],
)
def test_a_malformed_request_is_not_run(line: Line, message: dict[str, Any]) -> None:
    port = line.station.inner
    port.write(encode_frame(message))
    reply = ConsoleClient(line.station, timeout=1.0).reader.read(1.0)
    assert reply == {"retry": True}
    assert line.handler.calls == []


class Echoing:
    """The station's side of a unit whose tty still echoes (before its console went raw):
    every request comes back to the station ahead of the reply."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.echo = b""

    def read(self, size: int = 1) -> bytes:
        if self.echo:
            out, self.echo = self.echo[:size], self.echo[size:]
            return out
        return bytes(self.inner.read(size))

    def write(self, data: bytes, /) -> int:
        self.echo += data
        self.inner.write(data)
        return len(data)


def test_the_stations_own_requests_echoed_back_are_not_taken_for_replies(line: Line) -> None:
    client = ConsoleClient(Echoing(line.station), timeout=1.0)
    assert client.call("status") == {"op": "status", "n": 1, "echo": {}}
    assert client.call("hardware")["n"] == 2
