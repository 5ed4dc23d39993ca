"""orpheusctl's printing (orpheus.cli.output): JSON, aligned tables, sizes."""

from __future__ import annotations

import json

import pytest

from orpheus.cli.output import human_bytes, print_json, print_table


def test_json_is_sorted_and_indented(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"b": 1, "a": [True, None]})
    out = capsys.readouterr().out
    assert out.startswith('{\n  "a": [')
    assert json.loads(out) == {"a": [True, None], "b": 1}


def test_table_aligns_the_values(capsys: pytest.CaptureFixture[str]) -> None:
    print_table([("Tier", "Mini"), ("Update support", "-")])
    assert capsys.readouterr().out == "Tier            Mini\nUpdate support  -\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (5 * 1024**3, "5.0 GiB"),
        (3 * 1024**5, "3072.0 TiB"),
    ],
)
def test_human_bytes(value: int | None, text: str) -> None:
    assert human_bytes(value) == text
