"""Outbound call classes: validation of names and patterns, and their dialplan."""

from __future__ import annotations

import pytest

from orpheus.pbx.call_class_feature import parse_counter
from orpheus.pbx.call_classes import DEFAULT_CLASS, classes
from orpheus.pbx.records import KINDS, RecordError, normalise
from orpheus.pbx.render import CallLimit, render_dialplan
from orpheus.pbx.store import Config


def _config(**extension: str) -> Config:
    ext = normalise(KINDS["extension"], {"number": "101", "password": "Secret-pw-123", **extension})
    trunk = normalise(KINDS["trunk"], {"name": "carrier", "host": "127.0.0.1", "prefix": "9"})
    return {
        "extension": {"101": ext},
        "trunk": {"carrier": trunk},
        "queue": {},
        "ivr": {},
        "balancer": {},
        "recording": {"recording": {}},
        "callclass": {},
    }


def test_extension_defaults_to_national() -> None:
    assert _config()["extension"]["101"]["call_class"] == DEFAULT_CLASS == "national"


@pytest.mark.parametrize("name", ["bad\nname", "a[b", "a;b", "A", ""])
def test_bad_class_names_refused(name: str) -> None:
    with pytest.raises(RecordError):
        normalise(KINDS["callclass"], {"name": name, "patterns": ["_00X."]})
    with pytest.raises(RecordError):
        _config(call_class=name)


@pytest.mark.parametrize(
    "pattern", ["_00X.\n", "_X.,1,Dial(x)", "_0[1-", "_.X", "_00X;", "_X]", "_00X..", "abc", ""]
)
def test_bad_patterns_refused(pattern: str) -> None:
    with pytest.raises(RecordError):
        normalise(KINDS["callclass"], {"name": "mine", "patterns": [pattern]})


@pytest.mark.parametrize("pattern", ["_00X.", "_0[1-6]XXX.", "112", "_+X!", "_NXXZ", "_[2-57]X."])
def test_asterisk_patterns_accepted(pattern: str) -> None:
    record = normalise(KINDS["callclass"], {"name": "mine", "patterns": [pattern]})
    assert record["patterns"] == [pattern]


def test_defaults_keep_international_and_premium_out_of_national() -> None:
    national = classes(_config())["national"]
    assert "_00X." not in national and not any(p.startswith("_09") for p in national)
    assert "_00X." in classes(_config())["international"]


def test_outbound_route_checks_the_class_before_any_trunk() -> None:
    dialplan = render_dialplan(_config(), CallLimit(10, False), 1)
    route = dialplan[dialplan.index("exten => _9X.") :]
    assert route.index("Gosub(orpheus-class-check") < route.index("Dial(PJSIP/")
    assert "ORPHEUS_DIALLED=${EXTEN:1}" in route
    assert "ORPHEUS_CLASS_101=national\n" in dialplan
    assert "Hangup(21)" in dialplan and "UserEvent(OrpheusCallClassRefused" in dialplan


def test_stored_class_replaces_default_and_is_rendered() -> None:
    config = _config(call_class="international")
    config["callclass"]["national"] = {"name": "national", "patterns": ["_0301X."]}
    dialplan = render_dialplan(config, CallLimit(10, False), 1)
    assert "ORPHEUS_CLASS_101=international\n" in dialplan
    national = dialplan[dialplan.index("[orpheus-class-national]") :].split("\n\n")[0]
    assert national.splitlines()[1:] == ["exten => _0301X.,1,NoOp(class national)"]


def test_refusal_counter_parsed_from_asterisk_database_output() -> None:
    assert parse_counter("Value: 12\n") == 12
    assert parse_counter("Database entry not found.\n") == 0
