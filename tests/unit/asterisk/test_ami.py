"""The AMI client (orpheus.asterisk.ami) against a scripted Asterisk on a socket pair: the
banner, responses matched by ActionID, output lines, errors and a closed connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from orpheus.asterisk import ami
from orpheus.asterisk.ami import AmiConnection, AmiError
from orpheus.asterisk.control import AsteriskUnavailable

BANNER = b"Asterisk Call Manager/9.0.0\r\n"


Pair = tuple[socket.socket, socket.socket]


@pytest.fixture
def pair() -> Iterator[Pair]:
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    yield ours, theirs
    ours.close()
    theirs.close()


def _message(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _sent(theirs: socket.socket) -> list[str]:
    theirs.settimeout(1)
    return theirs.recv(65536).decode().split("\r\n")


def test_an_action_is_sent_with_its_id_and_fields(pair: Pair) -> None:
    ours, theirs = pair
    theirs.sendall(BANNER + _message("Response: Success", "ActionID: orpheus-1", "Value: 7"))
    connection = AmiConnection(ours)
    message, output = connection.action("Getvar", Variable="ORPHEUS_CONFIG_SERIAL")
    assert message == {"Response": "Success", "ActionID": "orpheus-1", "Value": "7"}
    assert output == []
    assert _sent(theirs) == [
        "Action: Getvar", "ActionID: orpheus-1", "Variable: ORPHEUS_CONFIG_SERIAL", "", "",
    ]  # fmt: skip


def test_events_and_other_answers_are_skipped(pair: Pair) -> None:
    ours, theirs = pair
    theirs.sendall(
        BANNER
        + _message("Event: FullyBooted", "Status: Fully Booted")
        + _message("Response: Success", "ActionID: someone-else")
        + _message("Response: Success", "ActionID: orpheus-1", "Message: Module Reloaded")
    )
    message, _ = AmiConnection(ours).action("Reload", Module="res_pjsip.so")
    assert message["Message"] == "Module Reloaded"


def test_command_output_lines_in_both_forms(pair: Pair) -> None:
    """Asterisk 14+ prefixes each line with 'Output: '; older ones sent the raw lines."""
    ours, theirs = pair
    theirs.sendall(
        BANNER
        + _message(
            "Response: Success",
            "ActionID: orpheus-1",
            "Output: 0 active channels",
            "Output: 0 active calls",
        )
        + _message("Response: Follows", "ActionID: orpheus-2", "1 active channel", "--END--")
    )
    connection = AmiConnection(ours)
    assert connection.command("core show channels count") == ["0 active channels", "0 active calls"]
    assert connection.command("core show channels count") == ["1 active channel", "--END--"]


def test_an_error_response_is_an_ami_error(pair: Pair) -> None:
    ours, theirs = pair
    theirs.sendall(
        BANNER
        + _message("Response: Error", "ActionID: orpheus-1", "Message: No such variable")
        + _message("Response: Error", "ActionID: orpheus-2")
    )
    connection = AmiConnection(ours)
    with pytest.raises(AmiError, match=r"^Getvar: No such variable$"):
        connection.action("Getvar", Variable="X")
    with pytest.raises(AmiError, match=r"^Reload: error$"):
        connection.action("Reload")


def test_answers_split_across_reads_are_joined() -> None:
    """TCP delivers the bytes in any chunks: a message may come a byte at a time."""

    class Trickle:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def recv(self, size: int) -> bytes:
            chunk, self.data = self.data[:1], self.data[1:]
            return chunk

        def sendall(self, data: bytes) -> None:
            pass

    data = BANNER + _message("Response: Success", "ActionID: orpheus-1", "Value: 42")
    connection = AmiConnection(Trickle(data))  # type: ignore[arg-type]  # recv/sendall only
    assert connection.action("Getvar", Variable="V")[0]["Value"] == "42"


def test_a_closed_connection_is_asterisk_unavailable(
    pair: Pair,
) -> None:
    ours, theirs = pair
    theirs.sendall(BANNER + b"Response: Succ")
    connection = AmiConnection(ours)
    theirs.shutdown(socket.SHUT_WR)
    with pytest.raises(AsteriskUnavailable, match="AMI connection closed by Asterisk"):
        connection.action("Ping")


def _connect_to(monkeypatch: pytest.MonkeyPatch, theirs_answers: bytes) -> socket.socket:
    """ami.connect() gets one end of a socket pair instead of a TCP connection."""
    ours, theirs = socket.socketpair()
    theirs.sendall(theirs_answers)
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: ours)
    return theirs


def test_connect_logs_in_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = _connect_to(
        monkeypatch,
        BANNER
        + _message("Response: Success", "ActionID: orpheus-1", "Message: Authentication accepted")
        + _message("Response: Goodbye", "ActionID: orpheus-2"),
    )
    with ami.connect(5038, "orpheus", "s3cret") as connection:
        assert isinstance(connection, AmiConnection)
    sent = theirs.recv(65536).decode()
    assert "Action: Login\r\nActionID: orpheus-1\r\nUsername: orpheus\r\nSecret: s3cret\r\n" in sent
    assert "Events: off" in sent and "Action: Logoff" in sent
    theirs.close()


def test_a_refused_login_is_asterisk_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = _connect_to(
        monkeypatch,
        BANNER
        + _message("Response: Error", "ActionID: orpheus-1", "Message: Authentication failed"),
    )
    refused = pytest.raises(AsteriskUnavailable, match="AMI login refused for 'orpheus'")
    with refused, ami.connect(5038, "orpheus", "wrong"):
        pass
    theirs.close()


def test_nothing_listening_is_asterisk_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> socket.socket:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", refused)
    unavailable = pytest.raises(AsteriskUnavailable, match=r"AMI on 127\.0\.0\.1:5038: Connection")
    with unavailable, ami.connect(5038, "orpheus", "s3cret"):
        pass


def test_an_event_list_is_read_to_its_end(pair: Pair) -> None:
    ours, theirs = pair
    theirs.sendall(
        BANNER
        + _message("Response: Success", "ActionID: orpheus-1", "EventList: start")
        + _message("Event: CoreShowChannel", "ActionID: orpheus-1", "Channel: PJSIP/101-01")
        + _message("Event: Newchannel", "Channel: PJSIP/102-02")  # not the list's
        + _message("Event: CoreShowChannel", "ActionID: orpheus-1", "Channel: PJSIP/102-02")
        + _message(
            "Event: CoreShowChannelsComplete",
            "ActionID: orpheus-1",
            "EventList: Complete",
            "ListItems: 2",
        )
    )
    events = AmiConnection(ours).action_list("CoreShowChannels")
    assert [e["Channel"] for e in events] == ["PJSIP/101-01", "PJSIP/102-02"]


def test_a_line_break_in_a_field_is_never_sent(pair: Pair) -> None:
    ours, theirs = pair
    theirs.sendall(BANNER)
    connection = AmiConnection(ours)
    for value in ("101\r\nAction: Logoff", "x\ny"):
        with pytest.raises(ValueError, match="line break"):
            connection.action("Originate", CallerID=value)
    theirs.settimeout(0.2)
    with pytest.raises(TimeoutError):
        theirs.recv(1)
