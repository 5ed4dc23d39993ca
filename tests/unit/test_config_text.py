"""The renderers' last guard: a value may not change a configuration file's structure."""

from __future__ import annotations

import pytest

from orpheus.config_text import UnsafeValue, check_name, check_value


@pytest.mark.parametrize("bad", ["101\n", "a\rb", "x\x00", 'say "hi"', "tab\there"])
def test_control_characters_and_quotes_are_refused(bad: str) -> None:
    with pytest.raises(UnsafeValue):
        check_value(bad, "field")
    with pytest.raises(UnsafeValue):
        check_value({"nested": [bad]}, "record")
    with pytest.raises(UnsafeValue):
        check_value({bad: "key"}, "record")


@pytest.mark.parametrize("bad", ["[section]", "#include x", ";comment", " "])
def test_a_name_cannot_start_a_line_of_its_own(bad: str) -> None:
    with pytest.raises(UnsafeValue, match="cannot start a line"):
        check_name(bad, "name")


def test_ordinary_values_pass() -> None:
    check_value({"prefix": "#9", "options": {"#": "extension:101"}, "port": 5060}, "record")
    check_name("carrier-1", "trunk")
