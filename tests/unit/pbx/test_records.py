"""PBX records (orpheus.pbx.records): normalising, defaults, coercion, rules."""

from __future__ import annotations

import pytest

from orpheus.pbx.records import RecordError, kind_of, normalise


def test_bad_records_are_refused() -> None:
    with pytest.raises(RecordError, match="password"):
        normalise(kind_of("extension"), {"number": "101", "password": "short"})
    with pytest.raises(RecordError, match="bad value"):
        normalise(kind_of("extension"), {"number": "1x1", "password": "longenough"})
