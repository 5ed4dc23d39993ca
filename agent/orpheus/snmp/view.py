"""A read-only snapshot of ORPHEUS-MIB's instances, built from the providers' values.

Built off the request path (after each refresh of the providers) and swapped in whole, so a
GET or a walk only looks values up in a sorted list and never waits on Asterisk or the API.
An area whose provider is absent contributes no instances: its objects answer noSuchObject
and its tables are empty.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

from orpheus.snmp.agentx import Oid, SearchRange, ValueType, VarBind
from orpheus.snmp.mib import SCALARS, TABLES, Syntax

AreaValues = Mapping[str, Any]
INTEGER32_MAX = 2**31 - 1
UNSIGNED32_MAX = 2**32 - 1
UNSIGNED64_MAX = 2**64 - 1


def encode(syntax: Syntax, value: Any) -> tuple[ValueType, int | bytes] | None:
    """The wire type and value of one object, or None when the value is missing."""
    if value is None:
        return None
    if syntax == Syntax.DISPLAY_STRING:
        text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        return ValueType.OCTET_STRING, text.encode()[:255]
    if syntax == Syntax.TRUTH_VALUE:
        return ValueType.INTEGER, 1 if value else 2
    number = int(value)
    if syntax in (Syntax.INTEGER32, Syntax.ENUMERATION):
        return ValueType.INTEGER, max(-INTEGER32_MAX - 1, min(number, INTEGER32_MAX))
    ceiling = UNSIGNED32_MAX if syntax == Syntax.GAUGE32 else UNSIGNED64_MAX
    return syntax.wire, max(0, min(number, ceiling))


def _scalar_instances(values: Mapping[str, AreaValues]) -> list[VarBind]:
    varbinds = []
    for scalar in SCALARS:
        area = values.get(scalar.area)
        encoded = encode(scalar.syntax, area.get(scalar.key)) if area is not None else None
        if encoded:
            varbinds.append(VarBind((*scalar.oid, 0), *encoded))
    return varbinds


def _table_instances(values: Mapping[str, AreaValues]) -> list[VarBind]:
    varbinds = []
    for table in TABLES:
        area = values.get(table.area)
        rows: Sequence[Mapping[str, Any]] = (area or {}).get(table.key) or ()
        for row in rows:
            index = int(row[table.index_key])
            for column in table.columns:
                encoded = encode(column.syntax, row.get(column.key))
                if encoded:
                    varbinds.append(VarBind((*table.entry_oid, column.subid, index), *encoded))
    return varbinds


class MibView:
    def __init__(self, varbinds: list[VarBind]) -> None:
        self._varbinds = sorted(varbinds, key=lambda varbind: varbind.oid)
        self._oids = [varbind.oid for varbind in self._varbinds]
        self._by_oid = {varbind.oid: varbind for varbind in self._varbinds}

    @classmethod
    def from_values(cls, values: Mapping[str, AreaValues]) -> MibView:
        return cls(_scalar_instances(values) + _table_instances(values))

    def __len__(self) -> int:
        return len(self._varbinds)

    def get(self, oid: Oid) -> VarBind:
        found = self._by_oid.get(oid)
        if found:
            return found
        # An object with other instances present: the instance is missing, not the object.
        position = bisect.bisect_left(self._oids, oid[:-1])
        if position < len(self._oids) and self._oids[position][: len(oid) - 1] == oid[:-1]:
            return VarBind(oid, ValueType.NO_SUCH_INSTANCE)
        return VarBind(oid, ValueType.NO_SUCH_OBJECT)

    def next(self, search: SearchRange) -> VarBind:
        """The first instance after (or at, if included) start and before end, if any."""
        if search.include:
            position = bisect.bisect_left(self._oids, search.start)
        else:
            position = bisect.bisect_right(self._oids, search.start)
        if position < len(self._oids):
            found = self._varbinds[position]
            if not search.end or found.oid < search.end:
                return found
        return VarBind(search.start, ValueType.END_OF_MIB_VIEW)

    def bulk(self, search: SearchRange, repetitions: int) -> list[VarBind]:
        found = []
        for _ in range(repetitions):
            varbind = self.next(search)
            found.append(varbind)
            if varbind.type == ValueType.END_OF_MIB_VIEW:
                break
            search = SearchRange(varbind.oid, search.end, include=False)
        return found

    def items(self) -> list[VarBind]:
        return list(self._varbinds)
