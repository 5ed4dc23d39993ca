"""A `Cdr` event becomes a record with only the fields kept, checked as hostile input;
records are filtered by day, extension, trunk and disposition, and written as CSV."""

from __future__ import annotations

import csv
import datetime
import io
import time

import pytest

from orpheus.cdr.records import (
    MAX_PARTY,
    CdrFilter,
    CdrRecord,
    Refused,
    endpoint,
    parse_event,
    to_csv,
)

START = 1764806400  # 2025-12-04 00:00:00 UTC


def event(**fields: str) -> dict[str, str]:
    base = {
        "Event": "Cdr",
        "AccountCode": "",
        "Source": "101",
        "Destination": "0301234567",
        "DestinationContext": "orpheus-internal",
        "CallerID": '"Alice" <101>',
        "Channel": "PJSIP/101-0000002a",
        "DestinationChannel": "PJSIP/orpheus-trunk-carrier-0000002b",
        "LastApplication": "Dial",
        "LastData": "PJSIP/0301234567@orpheus-trunk-carrier,60",
        "StartTime": "2025-12-04 00:00:00",
        "AnswerTime": "2025-12-04 00:00:05",
        "EndTime": "2025-12-04 00:01:05",
        "Duration": "65",
        "BillableSeconds": "60",
        "Disposition": "ANSWERED",
        "AMAFlags": "DOCUMENTATION",
        "UniqueID": "1764806400.42",
        "UserField": "",
        "StartEpoch": f"{START}.123456",
        "AnswerEpoch": f"{START + 5}.000001",
        "EndEpoch": f"{START + 65}.5",
    }
    return {**base, **fields}


def test_an_outbound_call_keeps_only_the_fields_it_needs() -> None:
    record = parse_event(event())
    assert record.as_dict() == {
        "id": "1764806400.42",
        "start": "2025-12-04T00:00:00+00:00",
        "answer": "2025-12-04T00:00:05+00:00",
        "end": "2025-12-04T00:01:05+00:00",
        "duration": 65,
        "billsec": 60,
        "src": "101",
        "dst": "0301234567",
        "disposition": "answered",
        "direction": "outbound",
        "trunk": "carrier",
        "extensions": ["101"],
    }
    assert CdrRecord.from_dict(record.as_dict()) == record


def test_inbound_internal_and_unanswered() -> None:
    inbound = parse_event(
        event(
            Channel="PJSIP/orpheus-trunk-carrier-00000001", DestinationChannel="PJSIP/102-00000002"
        )
    )
    assert (inbound.direction, inbound.trunk, inbound.extensions) == (
        "inbound",
        "carrier",
        ("102",),
    )
    internal = parse_event(
        event(
            DestinationChannel="PJSIP/102-00000003",
            Disposition="NO ANSWER",
            AnswerEpoch="0.000000",
            AnswerTime="",
        )
    )
    assert (internal.direction, internal.trunk, internal.answer) == ("internal", None, None)
    assert (internal.disposition, internal.extensions) == ("no-answer", ("101", "102"))
    local = parse_event(
        event(Channel="Local/101@orpheus-internal-00000001;1", DestinationChannel="")
    )
    assert (local.direction, local.extensions) == ("internal", ())


def test_local_time_fields_without_the_epochs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asterisk's own time fields are in the unit's time zone (the agent's too)."""
    monkeypatch.setenv("TZ", "CET-1")
    time.tzset()
    try:
        record = parse_event(event(StartEpoch="", AnswerEpoch="", EndEpoch=""))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (record.start, record.end) == ("2025-12-03T23:00:00+00:00", "2025-12-03T23:01:05+00:00")


@pytest.mark.parametrize(
    "fields",
    [
        {"Event": "Newchannel"},
        {"UniqueID": "../../etc/passwd"},
        {"UniqueID": ""},
        {"Disposition": "ANSWERED\r\nEvent: Cdr"},
        {"Disposition": "maybe"},
        {"Duration": "-1"},
        {"Duration": "1e9"},
        {"BillableSeconds": "9" * 30},
        {"StartEpoch": "yesterday"},
        {"StartEpoch": "", "StartTime": "2025-13-45 99:99:99"},
        {"StartEpoch": "", "StartTime": "'; DROP TABLE"},
        {"EndEpoch": "", "EndTime": ""},
        {"LastData": "x" * 9000},
    ],
)
def test_events_that_do_not_fit_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(Refused):
        parse_event(event(**fields))


def test_hostile_parties_are_cut_and_their_control_characters_replaced() -> None:
    record = parse_event(event(Source="1\x1b[31m01\r\n" + "9" * 200, Destination="\x00"))
    assert record.src.startswith("1?[31m01??") and len(record.src) == MAX_PARTY
    assert record.dst == "?"
    assert endpoint("PJSIP/../x-0000002a") is None  # not an endpoint's name
    assert endpoint("PJSIP/101-0000002a;1") == "101"


def records() -> list[CdrRecord]:
    day = datetime.timedelta(days=1)
    found = []
    for i, (disposition, channel) in enumerate(
        [
            ("ANSWERED", "PJSIP/101-00000001"),
            ("BUSY", "PJSIP/102-00000002"),
            ("NO ANSWER", "PJSIP/orpheus-trunk-other-00000003"),
        ]
    ):
        epoch = START + int(i * day.total_seconds())
        found.append(
            parse_event(
                event(
                    Disposition=disposition,
                    Channel=channel,
                    UniqueID=f"{epoch}.{i}",
                    StartEpoch=str(epoch),
                    EndEpoch=str(epoch + 65),
                )
            )
        )
    return found


def test_filters() -> None:
    taken = records()

    def ids(**query: str) -> list[str]:
        selection = CdrFilter.from_query(query)
        return [r.id.split(".")[1] for r in taken if selection.matches(r)]

    assert ids() == ["0", "1", "2"]
    assert ids(**{"from": "2025-12-05"}) == ["1", "2"]
    assert ids(**{"from": "2025-12-05", "until": "2025-12-05"}) == ["1"]
    assert ids(extension="102") == ["1"]
    assert ids(extension="0301234567") == ["0", "1", "2"]  # the called number
    assert ids(trunk="carrier") == ["0", "1"]  # outbound through it
    assert ids(trunk="other") == ["2"]  # inbound from it
    assert ids(disposition="busy") == ["1"]
    selection = CdrFilter.from_query({"from": "2025-12-05", "until": "2025-12-06"})
    days = [datetime.date(2025, 12, d) for d in (4, 5, 6, 7)]
    assert selection.days(days) == days[1:3]
    for bad in (
        {"from": "2025-02-30"},
        {"from": "2025-12-05", "until": "2025-12-04"},
        {"disposition": "ANSWERED"},
    ):
        with pytest.raises(ValueError):
            CdrFilter.from_query(bad)


def test_csv() -> None:
    taken = records()
    hostile = parse_event(
        event(Source='=HYPERLINK("http://x")', Destination="+4930123", UniqueID="1764806400.9")
    )
    text = to_csv([*taken, hostile])
    assert text.startswith("id,start,answer,end,duration,billsec,src,dst,disposition,")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["disposition"] for row in rows] == ["answered", "busy", "no-answer", "answered"]
    assert rows[0]["extensions"] == "101" and rows[2]["trunk"] == "other"
    assert rows[3]["src"] == '\'=HYPERLINK("http://x")'  # no formula for a spreadsheet
    assert rows[3]["dst"] == "+4930123"  # a number stays a number
