"""The MIB snapshot (orpheus.snmp.view): value encoding, GET, GETNEXT and GETBULK over it."""

from __future__ import annotations

from typing import Any

import pytest

from orpheus.snmp.agentx import SearchRange, ValueType, VarBind
from orpheus.snmp.mib import OBJECTS, Syntax
from orpheus.snmp.view import MibView, encode

VERSION = (*OBJECTS, 1, 1, 0)  # orpheusFirmwareVersion.0
BOARD = (*OBJECTS, 2, 1, 0)  # orpheusBoard.0
TRUNKS = (*OBJECTS, 4, 6, 1)  # orpheusTrunkEntry
VALUES: dict[str, dict[str, Any]] = {
    "status": {"version": "1.2.0", "build_date": "2026-12-01", "board": "mini"},
    "asterisk": {
        "trunks": [
            {"index": 2, "name": "t2", "registered": False, "reachable": True, "active_calls": 0},
            {"index": 1, "name": "t1", "registered": True, "reachable": None, "active_calls": 3},
        ]
    },
}


@pytest.mark.parametrize(
    ("syntax", "value", "wire"),
    [
        (Syntax.DISPLAY_STRING, "mini", (ValueType.OCTET_STRING, b"mini")),
        (Syntax.DISPLAY_STRING, ["cti", "phone"], (ValueType.OCTET_STRING, b"cti, phone")),
        (Syntax.DISPLAY_STRING, "x" * 300, (ValueType.OCTET_STRING, b"x" * 255)),
        (Syntax.DISPLAY_STRING, 7, (ValueType.OCTET_STRING, b"7")),
        (Syntax.TRUTH_VALUE, True, (ValueType.INTEGER, 1)),
        (Syntax.TRUTH_VALUE, False, (ValueType.INTEGER, 2)),
        (Syntax.GAUGE32, -1, (ValueType.GAUGE32, 0)),
        (Syntax.GAUGE32, 2**40, (ValueType.GAUGE32, 2**32 - 1)),
        (Syntax.GAUGE64, 2**40, (ValueType.COUNTER64, 2**40)),
        (Syntax.COUNTER64, 12.7, (ValueType.COUNTER64, 12)),
    ],
)
def test_values_are_encoded_within_their_syntax(
    syntax: Syntax, value: object, wire: tuple[ValueType, object]
) -> None:
    assert encode(syntax, value) == wire


@pytest.mark.parametrize(
    ("value", "number"), [(365, 365), (-3, -3), (2**40, 2**31 - 1), (-(2**40), -(2**31))]
)
def test_integer32_values_are_sent_as_numbers(value: int, number: int) -> None:
    assert encode(Syntax.INTEGER32, value) == (ValueType.INTEGER, number)


def test_a_missing_value_has_no_instance() -> None:
    assert encode(Syntax.INTEGER32, None) is None


def test_instances_come_from_the_areas_present() -> None:
    view = MibView.from_values(VALUES)
    assert view.get(VERSION) == VarBind(VERSION, ValueType.OCTET_STRING, b"1.2.0")
    assert view.get(BOARD).value == b"mini"
    # t1's reachability is unknown: that cell is missing, the others are there.
    assert view.get((*TRUNKS, 2, 1)) == VarBind((*TRUNKS, 2, 1), ValueType.OCTET_STRING, b"t1")
    assert view.get((*TRUNKS, 4, 2)).value == 1
    assert view.get((*TRUNKS, 4, 1)).type == ValueType.NO_SUCH_INSTANCE
    assert view.get((*TRUNKS, 5, 1)) == VarBind((*TRUNKS, 5, 1), ValueType.GAUGE32, 3)
    # No update area: its scalar is no such object; another instance of a present one is not.
    assert view.get((*OBJECTS, 1, 4, 0)).type == ValueType.NO_SUCH_OBJECT
    assert view.get((*OBJECTS, 1, 1, 1)).type == ValueType.NO_SUCH_INSTANCE
    assert len(view) == 3 + 7  # three scalars, seven table cells


def test_getnext_walks_in_oid_order_within_the_range() -> None:
    view = MibView.from_values(VALUES)
    assert view.next(SearchRange(VERSION, (), include=True)).oid == VERSION
    assert view.next(SearchRange(VERSION, (), include=False)).oid == (*OBJECTS, 1, 2, 0)
    first_cell = view.next(SearchRange(TRUNKS, (), include=False))
    assert first_cell.oid == (*TRUNKS, 2, 1)  # column by column, row 1 before row 2
    assert view.next(SearchRange(first_cell.oid, (), False)).oid == (*TRUNKS, 2, 2)
    end = view.next(SearchRange(VERSION, (*OBJECTS, 1, 2, 0), include=False))
    assert end == VarBind(VERSION, ValueType.END_OF_MIB_VIEW)
    last = view.items()[-1].oid
    assert view.next(SearchRange(last, (), False)).type == ValueType.END_OF_MIB_VIEW


def test_getbulk_repeats_and_stops_at_the_end() -> None:
    view = MibView.from_values(VALUES)
    oids = [v.oid for v in view.bulk(SearchRange(TRUNKS, (), False), 3)]
    assert oids == [(*TRUNKS, 2, 1), (*TRUNKS, 2, 2), (*TRUNKS, 3, 1)]
    everything = view.bulk(SearchRange(OBJECTS, (), False), 100)
    assert [v.oid for v in everything[:-1]] == [v.oid for v in view.items()]
    assert everything[-1].type == ValueType.END_OF_MIB_VIEW


def test_an_empty_view_answers_every_request() -> None:
    view = MibView.from_values({})
    assert len(view) == 0
    assert view.get(VERSION).type == ValueType.NO_SUCH_OBJECT
    assert view.next(SearchRange(OBJECTS, (), True)).type == ValueType.END_OF_MIB_VIEW
