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
