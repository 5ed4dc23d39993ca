"""JSON Schemas of the PBX records, derived from their one declaration in pbx/records.py.

Each field type also accepts the text form orpheusctl sends (`callcenter=yes`,
`members=101,102`); records.normalise turns both into the stored value and applies the rules
that span fields.
"""

from __future__ import annotations

from typing import Any

from orpheus.api.schema import Schema, obj, string
from orpheus.pbx.records import KINDS, Field, Kind

_TEXT = string(max_length=1024)
_BOOL_TEXT = {"type": "string", "enum": ["yes", "no", "true", "false", "on", "off", "1", "0"]}
_STRING_LIST = {"type": "array", "items": string(max_length=64), "maxItems": 256}
_TYPES: dict[type, Schema] = {
    bool: {"anyOf": [{"type": "boolean"}, _BOOL_TEXT]},
    int: {"anyOf": [{"type": "integer"}, string(r"^[0-9]{1,9}$")]},
    list: {"anyOf": [_STRING_LIST, _TEXT]},
    dict: {
        "anyOf": [
            {"type": "object", "additionalProperties": string(max_length=64), "maxProperties": 64},
            _TEXT,
        ]
    },
}


def field_schema(field: Field) -> Schema:
    pattern = field.pattern.pattern if field.pattern else None
    if field.type is str:  # the field's own message for a bad value, as normalise gives it
        return string(pattern, error=field.error or None)
    if field.type is list and pattern is not None:  # each item matches; or the text form
        items = {"type": "array", "items": string(pattern, max_length=64), "maxItems": 256}
        return {"anyOf": [items, string(r"^[^\x00-\x1f\x7f]{0,1024}$", max_length=1024)]}
    return dict(_TYPES[field.type])


def record_schema(kind: Kind, *, partial: bool = False) -> Schema:
    """A record of kind; partial (an update) needs no field."""
    properties = {field.name: field_schema(field) for field in kind.fields}
    required = () if partial else tuple(f.name for f in kind.fields if f.required)
    return obj(properties, required)


def create_schema(kind: Kind) -> Schema:
    """One record, or {"records": [...]} to add many in one change."""
    many = obj({"records": {"type": "array", "items": record_schema(kind), "maxItems": 5000}},
               ("records",))  # fmt: skip
    return {"oneOf": [record_schema(kind), many]}


def stored_record_schema(kind: Kind) -> Schema:
    """A record as the API answers it (secrets masked)."""
    properties: dict[str, Any] = {}
    for field in kind.fields:
        properties[field.name] = {"type": _JSON_TYPE[field.type]}
    return {"type": "object", "properties": properties}


_JSON_TYPE = {str: "string", bool: "boolean", int: "integer", list: "array", dict: "object"}
KIND_NAMES = tuple(KINDS)
