"""The parsers of Asterisk's answers, on outputs captured from the root filesystem's Asterisk."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.asterisk import parsers

CAPTURED = Path(__file__).parent / "captured"


def captured(name: str) -> str:
    return (CAPTURED / f"{name}.txt").read_text()


def test_version_and_uptime() -> None:
    assert parsers.parse_version(captured("version")) == "22.10.1+dfsg+~cs6.17.60671434-1"
    assert parsers.parse_uptime(captured("uptime")) == 4
    assert parsers.parse_uptime("No uptime") is None
    with pytest.raises(parsers.UnexpectedAnswer):
        parsers.parse_version("Unable to connect to remote asterisk")


def test_channel_counts_idle_and_busy() -> None:
    assert parsers.parse_channel_counts(captured("counts_idle")) == parsers.ChannelCounts(0, 0, 0)
    # Two calls between Local channel pairs: four channels, two calls.
    busy = parsers.parse_channel_counts(captured("counts_busy"))
    assert (busy.active_channels, busy.active_calls, busy.calls_processed) == (4, 2, 2)


def test_channel_counts_singular_forms() -> None:
    counts = parsers.parse_channel_counts("1 active channel\n1 active call\n1 call processed")
    assert counts == parsers.ChannelCounts(1, 1, 1)


def test_channel_counts_refuses_an_unknown_answer() -> None:
    with pytest.raises(parsers.UnexpectedAnswer):
        parsers.parse_channel_counts("No such command 'core show channels count'")


def test_registrations() -> None:
    assert parsers.parse_registrations(captured("registrations")) == {"provider": "Unregistered"}
    line = " provider/sip:127.0.0.1:5090       n/a         Registered        (exp. 115s)"
    assert parsers.parse_registrations(line) == {"provider": "Registered"}


def test_endpoints_and_their_aors_header_excluded() -> None:
    endpoints = parsers.parse_endpoints(captured("endpoints"))
    assert endpoints == {"6001": ["6001"], "6002": ["6002"], "provider": ["provider"]}


def test_contacts() -> None:
    contacts = parsers.parse_contacts(captured("contacts"))
    assert contacts == {"provider": parsers.Contacts(reachable=0, unreachable=1)}
    avail = "  Contact:  6002/sip:6002@127.0.0.1:5071        4a1f2e3d4c Avail         1.021"
    assert parsers.parse_contacts(avail)["6002"] == parsers.Contacts(1, 0, 1)


def test_queues() -> None:
    assert parsers.parse_queues(captured("queues")) == set()
    text = "support has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime, 0s talktime)"
    assert parsers.parse_queues(text) == {"support"}


def test_channels_per_endpoint() -> None:
    assert parsers.channels_per_endpoint(captured("concise_idle")) == {}
    assert parsers.channels_per_endpoint(captured("concise_busy")) == {}  # Local, not PJSIP
    line = "PJSIP/orpheus-trunk-carrier-00000004!orpheus-from-carrier!102!3!Up!Dial!!!!!3!1!!1.4"
    assert parsers.channels_per_endpoint(line) == {"orpheus-trunk-carrier": 1}


def test_group_count() -> None:
    assert parsers.parse_group_count("5") == 5
    assert parsers.parse_group_count("") == 0


def test_active_calls_parsing() -> None:
    text = "0 active channels\n3 active calls\n12 calls processed"
    assert parsers.parse_channel_counts(text).active_calls == 3


def _events(raw: str) -> list[dict[str, str]]:
    """AMI's messages (read as text: CRLF already turned into LF)."""
    blocks = [block for block in raw.split("\n\n") if block.strip()]
    return [dict(line.split(": ", 1) for line in b.split("\n") if ": " in line) for b in blocks]


def test_core_show_channel_events_of_a_started_call() -> None:
    events = _events(captured("coreshowchannels_call"))
    channels = [
        parsers.parse_core_channel(e) for e in events if e.get("Event") == "CoreShowChannel"
    ]
    outgoing, caller = channels
    assert caller.name == "PJSIP/101-00000000" and caller.endpoint == "101"
    assert caller.unique_id == caller.linked_id == "1338a08c6e46cd3149ffea94beacba50"
    assert (caller.context, caller.exten, caller.application) == ("orpheus-targets", "102", "Dial")
    assert outgoing.linked_id == caller.linked_id and outgoing.unique_id == "1796186804.4"
    assert (outgoing.caller_number, outgoing.connected_number) == ("102", "101")
    assert outgoing.caller_name == ""  # AMI's <unknown>
    assert (outgoing.state, outgoing.duration_seconds) == ("Up", 1)


def test_a_core_show_channel_event_without_a_channel_is_unexpected() -> None:
    with pytest.raises(parsers.UnexpectedAnswer):
        parsers.parse_core_channel({"Event": "CoreShowChannel", "Uniqueid": "1.2"})
    lone = parsers.parse_core_channel({"Channel": "Local/101@x-0001;1", "Uniqueid": "1.2",
                                       "Duration": "01:02:03"})  # fmt: skip
    assert (lone.linked_id, lone.endpoint, lone.duration_seconds) == ("1.2", None, 3723)


def test_manager_sessions() -> None:
    sessions = parsers.parse_manager_sessions(captured("manager_connected"))
    assert sessions == [parsers.ManagerSession("crm", "127.0.0.1", 4)]
    assert parsers.parse_manager_sessions("0 users connected.\n") == []
