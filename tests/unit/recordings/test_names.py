"""Recording names from the dialplan, parsed by full match; hostile ones refused."""

from __future__ import annotations

import pytest

from orpheus.recordings.names import is_recording_id, mixmonitor, parse_spool_name


def test_a_dialplan_name_gives_the_call_facts() -> None:
    facts = parse_spool_name("1764650000_1764650000.42_inbound_+39021234_101.sln")
    assert facts is not None
    assert (facts.recording_id, facts.direction, facts.caller, facts.called) == (
        "1764650000.42",
        "inbound",
        "+39021234",
        "101",
    )
    assert facts.started == "2025-12-02T04:33:20+00:00"


def test_parties_that_do_not_fit_leave_the_facts_unknown() -> None:
    facts = parse_spool_name("1764650000_1764650000.42_internal_" + "1" * 40 + "_101.sln")
    assert facts is not None and facts.direction == "unknown" and facts.caller == ""


@pytest.mark.parametrize(
    "name",
    [
        "../1764650000_1.2_inbound__101.sln",
        "1764650000_1.2_inbound__101.sln\n",
        "1764650000_1.2_inbound__101.wav",
        "x_1.2_inbound__101.sln",
        "1764650000_../x_in.sln",
    ],
)
def test_other_names_are_refused(name: str) -> None:
    assert parse_spool_name(name) is None


@pytest.mark.parametrize("text", ["..", "1.2/..", "1.2\n", "1.2.3", "", "a" * 80 + "-1.2", "."])
def test_ids_are_checked_by_full_match(text: str) -> None:
    assert not is_recording_id(text)
    assert is_recording_id("1764650000.42") and is_recording_id("orpheus-a-1764650000.42")


def test_the_dialplan_filters_the_parties() -> None:
    line = mixmonitor("outbound", "${EXTEN}")
    assert line.startswith("MixMonitor(/run/orpheus-recording/${EPOCH}_${UNIQUEID}_outbound_")
    assert "${FILTER(0-9+*,${CALLERID(num)}):0:32}" in line
    assert "${FILTER(0-9+*,${EXTEN}):0:32}" in line and line.endswith(".sln,b)")
