"""Where a started call goes: decided as the rendered dialplan decides it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from orpheus.calls import dialing
from orpheus.calls.dialing import Route
from orpheus.pbx.records import kind_of, normalise
from orpheus.pbx.render import CallLimit, render_dialplan


def _records(kind: str, *values: dict[str, Any]) -> dict[str, Any]:
    records = [normalise(kind_of(kind), v) for v in values]
    return {str(r[kind_of(kind).key]): r for r in records}


CONFIG: dict[str, dict[str, Any]] = {
    "extension": _records("extension", *({"number": n, "password": "pw-123456"}
                                         for n in ("101", "102", "901"))),
    "trunk": _records(
        "trunk",
        {"name": "carrier", "prefix": "9", "host": "192.0.2.10"},
        {"name": "intl", "prefix": "900", "host": "192.0.2.11"},
        {"name": "quiet", "host": "192.0.2.12"},  # no prefix: inbound only
    ),
    "balancer": _records("balancer", {"name": "pair", "prefix": "*7",
                                      "trunks": ["carrier", "intl"]}),
    "queue": _records("queue", {"name": "sales", "number": "600"}),
    "ivr": _records(
        "ivr", {"name": "main", "number": "700"}, {"name": "sub", "number": "701", "parent": "main"}
    ),
    "recording": {"recording": {"enabled": False}},
}  # fmt: skip


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("102", Route("extension", "102")),
        ("600", Route("queue", "sales")),
        ("700", Route("ivr", "main")),
        ("701", None),  # a sub-menu has no number of its own in the dialplan
        ("555", None),
        ("90212345", Route("outbound", "9", ("carrier",))),
        ("900441234", Route("outbound", "900", ("intl",))),  # the longer prefix
        ("901", Route("outbound", "9", ("carrier",))),  # `_9X.` beats the extension, as in Asterisk
        ("91", None),  # `_9X.` needs two characters after the prefix; `_X.` finds no 91
        ("*7123", Route("outbound", "*7", ("carrier", "intl"))),
        ("*123", None),  # `_X.` starts with a digit
        ("+390212345", None),  # no route takes a leading +
    ],
)
def test_route(number: str, expected: Route | None) -> None:
    assert dialing.route(CONFIG, number) == expected


def test_every_internal_destination_is_an_extension_of_the_rendered_dialplan() -> None:
    plan = render_dialplan(CONFIG, CallLimit(10, False), 1)
    targets = plan.split("[orpheus-targets]", 1)[1].split("\n[", 1)[0]
    numbers = set(re.findall(r"^exten => (\d+),1,", targets, re.MULTILINE))
    routed = {n for n in numbers if (r := dialing.route(CONFIG, n)) and r.kind != "outbound"}
    assert routed == numbers - {"901"}  # 901 goes out through `_9X.`
    for prefix in ("9", "900", "*7"):
        assert f"exten => _{prefix}X.,1," in plan


@pytest.mark.parametrize("bad", ["102\n", "1;2", "102&PJSIP/1", "", "1", "1" * 33, "10 2"])
def test_destination_pattern_refuses(bad: str) -> None:
    assert not dialing.DESTINATION.fullmatch(bad)


def test_caller_id_form() -> None:
    assert dialing.caller_id("Front desk", "101") == '"Front desk" <101>'
    assert dialing.caller_id("", "+3902") == "+3902"
