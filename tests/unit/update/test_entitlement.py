"""Until when updates are included (orpheus.update.entitlement): the date file on /data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from orpheus.update.entitlement import EntitlementError, read_support_until


def test_no_file_means_no_known_limit(tmp_path: Path) -> None:
    assert read_support_until(tmp_path / "update-support-until") is None


def test_the_date_is_read_with_spaces_around(tmp_path: Path) -> None:
    path = tmp_path / "update-support-until"
    path.write_text(" 2027-03-31\n")
    assert read_support_until(path) == date(2027, 3, 31)


def test_an_unreadable_date_is_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "update-support-until"
    path.write_text("31.03.2027" + "x" * 100)
    with pytest.raises(EntitlementError, match=r"not an ISO date: '31\.03\.2027x+'$") as raised:
        read_support_until(path)
    assert len(str(raised.value).split(": ", 1)[1]) < 60  # the file's text is cut short
