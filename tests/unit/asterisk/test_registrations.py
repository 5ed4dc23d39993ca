"""Registered phones and trunks for the status: counted from PJSIP's state, asked of Asterisk
at most once per max_age, and unknown (None) while it does not answer."""

from __future__ import annotations

from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.asterisk.parsers import Contacts, PjsipState
from orpheus.asterisk.registrations import RegistrationCounts, count


def test_phones_with_a_reachable_contact_and_registered_trunks_are_counted() -> None:
    state = PjsipState(
        registrations={"carrier": "Registered", "backup": "Rejected"},
        endpoint_aors={"201": ["201"], "202": ["202"], "carrier": ["carrier"], "backup": []},
        contacts={"201": Contacts(reachable=1), "202": Contacts(unreachable=1),
                  "carrier": Contacts(reachable=1)},
    )  # fmt: skip
    assert count(state) == {"phones": 1, "trunks": 1, "trunks_configured": 2}


def test_asked_at_most_once_per_max_age_and_none_while_asterisk_is_down() -> None:
    now = [0.0]
    asked: list[int] = []

    def ask() -> PjsipState:
        asked.append(1)
        if len(asked) > 1:
            raise AsteriskUnavailable("down")
        return PjsipState()

    counts = RegistrationCounts(ask, max_age=3.0, clock=lambda: now[0])
    assert counts() == {"phones": 0, "trunks": 0, "trunks_configured": 0}
    now[0] = 2.0
    assert counts() is not None and len(asked) == 1
    now[0] = 3.5
    assert counts() is None and len(asked) == 2
