from __future__ import annotations

import ipaddress

import pytest

from orpheus.firewall.security_events import failed_address


@pytest.mark.parametrize(
    ("event", "remote", "expected"),
    [
        ("InvalidAccountID", "IPV4/UDP/203.0.113.5/5060", "203.0.113.5"),
        ("ChallengeResponseFailed", "IPV4/TCP/203.0.113.6/41234", "203.0.113.6"),
        ("InvalidPassword", "IPV6/UDP/2001:db8::7/5060", "2001:db8::7"),
        ("InvalidPassword", "IPV6/UDP/[2001:db8::8]/5060", "2001:db8::8"),
    ],
)
def test_a_failure_names_its_source(event: str, remote: str, expected: str) -> None:
    message = {"Event": event, "Service": "PJSIP", "RemoteAddress": remote}
    assert failed_address(message) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "message",
    [
        {"Event": "ChallengeSent", "RemoteAddress": "IPV4/UDP/203.0.113.5/5060"},  # every REGISTER
        {"Event": "SuccessfulAuth", "RemoteAddress": "IPV4/UDP/203.0.113.5/5060"},
        {"Event": "InvalidAccountID", "RemoteAddress": "IPV4/UDP/not-an-address/5060"},
        {"Event": "InvalidAccountID", "RemoteAddress": "garbage"},
        {"Event": "InvalidAccountID"},
    ],
)
def test_other_events_and_bad_addresses_are_not_failures(message: dict[str, str]) -> None:
    assert failed_address(message) is None
