"""PBX records (orpheus.pbx.records): normalising, defaults, coercion of text forms, unknown
fields, the rules of each kind, redaction."""

from __future__ import annotations

import pytest

from orpheus.pbx.records import RecordError, kind_of, normalise, redact


def test_bad_records_are_refused() -> None:
    with pytest.raises(RecordError, match="password"):
        normalise(kind_of("extension"), {"number": "101", "password": "short"})
    with pytest.raises(RecordError, match="bad value"):
        normalise(kind_of("extension"), {"number": "1x1", "password": "longenough"})


def test_defaults_are_filled_in_and_never_shared() -> None:
    trunk = kind_of("trunk")
    first = normalise(trunk, {"name": "t1", "host": "sip.example.net"})
    assert first == {
        "name": "t1", "host": "sip.example.net", "port": 5060, "username": "", "password": "",
        "codecs": ["ulaw", "alaw"], "prefix": "", "inbound": "", "transport": "udp",
        "media_encryption": "none",
    }  # fmt: skip
    first["codecs"].append("g722")
    second = normalise(trunk, {"name": "t2", "host": "sip.example.net"})
    assert second["codecs"] == ["ulaw", "alaw"]  # the default list is copied, not shared
    menu = normalise(kind_of("ivr"), {"name": "main"})
    menu["options"]["1"] = "extension:101"
    assert normalise(kind_of("ivr"), {"name": "other"})["options"] == {}


@pytest.mark.parametrize(
    ("text", "value"),
    [("yes", True), ("True", True), ("on", True), ("1", True),
     ("no", False), ("FALSE", False), ("off", False), ("0", False)],
)  # fmt: skip
def test_booleans_accept_their_text_forms(text: str, value: bool) -> None:
    record = normalise(kind_of("extension"), {"number": "101", "password": "pw101pw101",
                                              "remote": text})  # fmt: skip
    assert record["remote"] is value


def test_text_forms_of_numbers_lists_and_options() -> None:
    trunk = normalise(kind_of("trunk"), {"name": "t1", "host": "10.0.0.1", "port": "5080",
                                         "codecs": "g722,,ulaw"})  # fmt: skip
    assert trunk["port"] == 5080 and trunk["codecs"] == ["g722", "ulaw"]
    queue = normalise(kind_of("queue"), {"name": "sales", "number": "600",
                                         "members": "101,102"})  # fmt: skip
    assert queue["members"] == ["101", "102"]
    menu = normalise(kind_of("ivr"), {"name": "main", "options": "1=extension:101,2=ivr:sales"})
    assert menu["options"] == {"1": "extension:101", "2": "ivr:sales"}


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        ("extension", {"number": "101"}, "field 'password' is required for a extension"),
        ("extension", {"number": "101", "password": "pw101pw101", "pin": "1"},
         "unknown field(s) for extension: pin"),
        ("extension", {"number": "101", "password": "pw101pw101", "remote": "maybe"},
         "field 'remote' must be a bool"),
        ("extension", {"number": 101, "password": "pw101pw101"}, "field 'number' must be a str"),
        ("extension", {"number": "101", "password": "has space1"}, "extension password"),
        ("extension", {"number": "101", "password": "pw101pw101", "name": 'a"b'}, "bad value"),
        ("trunk", {"name": "t1", "host": "h", "port": True}, "field 'port' must be a int"),
        ("trunk", {"name": "t1", "host": "h", "port": "-1"}, "field 'port' must be a int"),
        ("trunk", {"name": "t1", "host": "h", "port": 70000}, "trunk port must be 1-65535"),
        ("trunk", {"name": "t1", "host": "h", "codecs": ""}, "trunk codecs"),
        ("trunk", {"name": "t1", "host": "h", "codecs": "ULAW"}, "trunk codecs"),
        ("trunk", {"name": "t1", "host": "h", "password": "a;b"}, "trunk password"),
        ("trunk", {"name": "T1", "host": "h"}, "field 'name': bad value 'T1'"),
        ("trunk", {"name": "general", "host": "h"}, "the name 'general' is reserved"),
        ("queue", {"name": "sales", "number": "600", "members": "101,abc"},
         "queue members must be extension numbers"),
        ("queue", {"name": "sales", "number": "600", "strategy": "loudest"}, "bad value"),
        ("ivr", {"name": "main", "options": "x=extension:101"}, "IVR option x=extension:101"),
        ("ivr", {"name": "main", "options": "1=phone:101"}, "IVR option 1=phone:101"),
        ("balancer", {"name": "out", "prefix": "0"}, "field 'trunks' is required"),
        ("recording", {"storage": "cloud"}, "field 'storage': bad value"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_with_the_field_named(
    kind: str, values: dict[str, object], message: str
) -> None:
    with pytest.raises(RecordError) as refused:
        normalise(kind_of(kind), values)
    assert message in str(refused.value)


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(RecordError, match=r"unknown kind 'phone' \(known: extension, trunk"):
        kind_of("phone")


def test_the_recording_singleton_needs_no_field() -> None:
    assert normalise(kind_of("recording"), {}) == {"enabled": False, "storage": "internal"}


def test_redact_masks_set_secrets_only() -> None:
    trunk = kind_of("trunk")
    values = {"name": "t1", "host": "h", "username": "u", "password": "pw-secret1"}
    record = normalise(trunk, values)
    shown = redact(trunk, record)
    assert shown is not None and shown["password"] == "********" and shown["username"] == "u"
    assert record["password"] == "pw-secret1"  # the stored record is untouched
    empty = redact(trunk, normalise(trunk, {"name": "t2", "host": "h"}))
    assert empty is not None and empty["password"] == ""  # nothing to hide: shown as unset
    assert redact(trunk, None) is None
