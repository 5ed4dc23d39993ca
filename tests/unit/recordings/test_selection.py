"""Which recordings a copy, move or archive takes; facts from a drive may be anything."""

from __future__ import annotations

import datetime
import re

import pytest

from orpheus.recordings.selection import Selection

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)


def facts(started: object = "2026-11-15T23:30:00+00:00", **extra: object) -> dict[str, object]:
    return {"started": started, "direction": "inbound", "caller": "0612", "called": "101"} | extra


def test_no_filter_takes_everything_even_without_a_date() -> None:
    assert Selection().matches(facts(started=None), NOW)


def test_the_date_range_includes_both_days_in_utc() -> None:
    selection = Selection.from_request({"since": "2026-11-15", "until": "2026-11-15"})
    assert selection.matches(facts(), NOW)
    assert not selection.matches(facts("2026-11-16T00:00:00+00:00"), NOW)
    # 00:30 in Paris on the 16th is the 15th in UTC
    assert selection.matches(facts("2026-11-16T00:30:00+01:00"), NOW)
    assert not selection.matches(facts("2026-11-14T23:59:59+00:00"), NOW)


def test_extension_is_either_party_and_direction_is_exact() -> None:
    assert Selection(extension="101").matches(facts(), NOW)
    assert Selection(extension="0612").matches(facts(), NOW)
    assert not Selection(extension="10").matches(facts(), NOW)
    assert not Selection(direction="outbound").matches(facts(), NOW)


def test_older_than_counts_from_now() -> None:
    selection = Selection(older_than_days=30)
    assert selection.matches(facts("2026-11-01T11:59:00+00:00"), NOW)
    assert not selection.matches(facts("2026-11-02T12:01:00+00:00"), NOW)


@pytest.mark.parametrize("started", [None, 7, "", "yesterday", "2026-13-01T00:00:00", "9" * 500])
def test_a_date_that_cannot_be_read_is_taken_by_no_date_filter(started: object) -> None:
    assert not Selection(since=datetime.date(2000, 1, 1)).matches(facts(started), NOW)
    assert not Selection(older_than_days=0).matches(facts(started), NOW)


@pytest.mark.parametrize(
    "body, error",
    [
        ({"since": "2026-02-30"}, "not a date"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "ends (2026-11-01) before it starts"),
        ({"direction": "sideways"}, "direction must be one of"),
    ],
)
def test_requests_the_calendar_refuses(body: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        Selection.from_request(body)


def test_ids_come_from_the_files_names() -> None:
    entries = [("1.1", facts(id="../../x")), ("1.2", facts(direction="outbound"))]
    assert Selection(direction="inbound").pick(entries, NOW) == ["1.1"]
