"""The build context (builder/context.py)."""

from __future__ import annotations

import pytest

from builder.context import build_epoch


def test_source_date_epoch_sets_the_build_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_epoch() == 1700000000
