"""Weak SIP passwords are flagged (stored all the same) and counted once each."""

from __future__ import annotations

from typing import Any

from orpheus.pbx.weak_passwords import WeakPasswordCount, warnings


def test_a_weak_extension_password_gets_a_warning_naming_the_extension() -> None:
    [warning] = warnings("extension", None, [{"number": "101", "password": "s3cret-Pass"}])
    assert warning.startswith("extension 101: SIP password stored, but weak password")
    assert "zxcvbn score 2" in warning
    assert warnings("extension", None, [{"number": "102", "password": "Good-pass-1901"}]) == []
    assert warnings("queue", None, [{"name": "q", "password": "x"}]) == []
    [trunk] = warnings("trunk", "carrier", [{"name": "carrier", "password": "carrier123"}])
    assert trunk.startswith("trunk carrier:")


def test_the_count_scores_each_password_once() -> None:
    stored: dict[str, list[dict[str, Any]]] = {
        "extension": [{"number": "101", "password": "101101"},
                      {"number": "102", "password": "Good-pass-1901"}],
        "trunk": [{"name": "t1", "password": ""}, {"name": "t2", "password": "password"}],
    }  # fmt: skip
    asked: list[str] = []

    def records(kind: str) -> list[dict[str, Any]]:
        asked.append(kind)
        return stored.get(kind, [])

    count = WeakPasswordCount(records)
    assert count() == 2
    stored["extension"][1]["password"] = "1234"
    assert count() == 3
    assert asked == ["extension", "trunk"] * 2
