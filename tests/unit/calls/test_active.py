"""Calls from channels: grouped by linked id, the starting channel first, state and trunk."""

from __future__ import annotations

from orpheus.asterisk.parsers import Channel
from orpheus.calls.active import calls


def _channel(name: str, unique: str, linked: str, state: str = "Up", seconds: int = 5) -> Channel:
    return Channel(name, unique, linked, state, "101", "", "102", "", "orpheus-targets", "102",
                   "Dial", seconds)  # fmt: skip


def test_channels_of_one_call_are_one_call_starting_channel_first() -> None:
    found = calls([
        _channel("PJSIP/102-00000001", "1.4", "abc"),
        _channel("PJSIP/101-00000000", "abc", "abc", seconds=7),
        _channel("PJSIP/103-00000002", "2.1", "2.1", state="Ring"),
    ])  # fmt: skip
    assert [c.id for c in found] == ["abc", "2.1"]
    call = found[0].as_dict()
    assert [c["name"] for c in call["channels"]] == ["PJSIP/101-00000000", "PJSIP/102-00000001"]
    assert (call["from"], call["to"], call["state"], call["duration_seconds"]) == (
        "101", "102", "up", 7,
    )  # fmt: skip
    assert found[1].as_dict()["state"] == "ringing"


def test_a_call_still_ringing_its_destination_and_a_trunk_call() -> None:
    ringing = calls([
        _channel("PJSIP/101-00000000", "abc", "abc"),
        _channel("PJSIP/102-00000001", "1.4", "abc", state="Ringing"),
    ])[0]  # fmt: skip
    assert ringing.state == "ringing" and ringing.trunk is None
    out = calls([
        _channel("PJSIP/101-00000000", "1.1", "1.1"),
        _channel("PJSIP/orpheus-trunk-carrier-00000001", "1.2", "1.1"),
    ])[0]  # fmt: skip
    assert out.trunk == "carrier" and out.state == "up"
    alone = calls([_channel("PJSIP/101-00000000", "1.1", "1.1")])[0]
    assert alone.state == "up"  # one answered channel (an IVR menu, a queue's music)
