"""Kinds of PBX records and their fields, declared once; values are checked and normalised here.

Values arrive as JSON from the API or as text from orpheusctl (`members=101,102`,
`callcenter=yes`), so each field type also accepts its text form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orpheus.pbx.call_classes import CALL_PATTERN, DEFAULT_CLASS

Record = dict[str, Any]

NUMBER = re.compile(r"^[0-9]{2,6}$")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# A name or IPv4 address, or an IPv6 address in brackets (brackets nowhere else).
HOST = re.compile(r"^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])$")
CODEC = re.compile(r"^[a-z0-9_]{1,20}$")
DESTINATION = re.compile(r"^(extension|queue|ivr):[a-z0-9_-]{1,32}$")
PROMPT = re.compile(r"^[A-Za-z0-9/_-]{1,80}$")
# A SIP user part: letters, digits and the unreserved marks (no quotes, spaces or ';').
USERNAME = re.compile(r"^[A-Za-z0-9._~+@-]{0,64}$")
DIGITS = re.compile(r"^[0-9*#]{0,6}$")
MIN_PASSWORD_LENGTH = 8
# Printable ASCII without spaces, quotes or ';' (which starts a comment in Asterisk's files).
PASSWORD = re.compile(r"^[A-Za-z0-9!#$%&()*+,./:<=>?@^_{|}~-]{8,64}$")
DISPLAY_NAME = re.compile(r'^[^\x00-\x1f";\[\]<>\\]{0,64}$')
RESERVED_NAMES = frozenset({"general", "globals"})
# SIP signalling and media protection of an extension or trunk (rendered by pbx/render.py).
TRANSPORT = re.compile(r"^(udp|tcp|tls)$")
MEDIA_ENCRYPTION = re.compile(r"^(none|sdes|dtls)$")


class RecordError(ValueError):
    """A record that cannot be stored; one line for the user."""


@dataclass(frozen=True)
class Field:
    name: str
    type: type
    required: bool = False
    default: Any = None
    pattern: re.Pattern[str] | None = None  # a string's, or each item's of a list
    secret: bool = False
    error: str = ""  # what a bad value is told, when not "field X: bad value"


@dataclass(frozen=True)
class Kind:
    name: str
    key: str
    fields: tuple[Field, ...]
    singleton: bool = False


def _sip_security_fields(kind: str) -> tuple[Field, Field]:
    return (
        Field("transport", str, default="udp", pattern=TRANSPORT,
              error=f"{kind} transport: udp, tcp or tls"),
        Field("media_encryption", str, default="none", pattern=MEDIA_ENCRYPTION,
              error=f"{kind} media_encryption: none, sdes or dtls"),
    )  # fmt: skip


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "extension",
            "number",
            (
                Field("number", str, required=True, pattern=NUMBER),
                Field("name", str, default="", pattern=DISPLAY_NAME),
                Field("password", str, required=True, secret=True),
                Field("remote", bool, default=False),
                Field("call_class", str, default=DEFAULT_CLASS, pattern=NAME),
                *_sip_security_fields("extension"),
                # Calls to and from it are refused unless over TLS with SRTP.
                Field("require_tls_srtp", bool, default=False),
            ),
        ),
        Kind(
            "trunk",
            "name",
            (
                Field("name", str, required=True, pattern=NAME),
                Field("host", str, required=True, pattern=HOST),
                Field("port", int, default=5060),
                Field("username", str, default="", pattern=USERNAME),
                Field("password", str, default="", secret=True),
                Field(
                    "codecs",
                    list,
                    default=["ulaw", "alaw"],
                    pattern=CODEC,
                    error="trunk codecs: one or more names like ulaw, alaw, g722",
                ),
                Field("prefix", str, default="", pattern=DIGITS),
                Field("inbound", str, default="", pattern=re.compile(r"^([0-9]{2,6})?$")),
                *_sip_security_fields("trunk"),
            ),
        ),
        Kind(
            "queue",
            "name",
            (
                Field("name", str, required=True, pattern=NAME),
                Field("number", str, required=True, pattern=NUMBER),
                Field(
                    "members",
                    list,
                    default=[],
                    pattern=NUMBER,
                    error="queue members must be extension numbers",
                ),
                Field(
                    "strategy",
                    str,
                    default="ringall",
                    pattern=re.compile(r"^(ringall|leastrecent|fewestcalls|random|rrmemory)$"),
                ),
                Field("callcenter", bool, default=False),
            ),
        ),
        Kind(
            "ivr",
            "name",
            (
                Field("name", str, required=True, pattern=NAME),
                Field("number", str, default="", pattern=re.compile(r"^([0-9]{2,6})?$")),
                Field("parent", str, default=""),
                Field("prompt", str, default="demo-congrats", pattern=PROMPT),
                Field("options", dict, default={}),
            ),
        ),
        Kind(
            "balancer",
            "name",
            (
                Field("name", str, required=True, pattern=NAME),
                Field("trunks", list, required=True, pattern=NAME),
                Field("prefix", str, required=True, pattern=DIGITS),
                Field(
                    "strategy",
                    str,
                    default="failover",
                    pattern=re.compile(r"^(failover|roundrobin)$"),
                ),
            ),
        ),
        Kind(
            "callclass",
            "name",
            (
                Field("name", str, required=True, pattern=NAME),
                Field(
                    "patterns",
                    list,
                    default=[],
                    pattern=CALL_PATTERN,
                    error="call class patterns: Asterisk patterns like _00X. or _0[1-6]XXX.",
                ),
            ),
        ),
        Kind(
            "recording",
            "name",
            (
                Field("enabled", bool, default=False),
                Field(
                    "storage", str, default="internal", pattern=re.compile(r"^(internal|usb|nas)$")
                ),
            ),
            singleton=True,
        ),
    )
}


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise RecordError(f"unknown kind {name!r} (known: {', '.join(KINDS)})")
    return kind


def _coerce(field: Field, value: Any) -> Any:
    if field.type is bool and isinstance(value, str):
        lowered = value.lower()
        if lowered in ("yes", "true", "on", "1"):
            return True
        if lowered in ("no", "false", "off", "0"):
            return False
    if field.type is int and isinstance(value, str) and value.isdigit():
        return int(value)
    if field.type is list and isinstance(value, str):
        return [item for item in value.split(",") if item]
    if field.type is dict and isinstance(value, str):
        pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
        return {k: v for k, v in pairs}
    return value


def _check_value(field: Field, value: Any) -> None:
    if not isinstance(value, field.type) or (field.type is int and isinstance(value, bool)):
        raise RecordError(f"field {field.name!r} must be a {field.type.__name__}")
    items: list[Any] = value if isinstance(value, list) else [value]
    for item in items:
        if field.pattern is not None and not field.pattern.fullmatch(str(item)):
            raise RecordError(field.error or f"field {field.name!r}: bad value {item!r}")


def normalise(kind: Kind, values: Record) -> Record:
    """A complete record from values: defaults filled in, every field checked."""
    known = {field.name for field in kind.fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise RecordError(f"unknown field(s) for {kind.name}: {', '.join(unknown)}")
    record: Record = {}
    for field in kind.fields:
        if field.name not in values:
            if field.required:
                raise RecordError(f"field {field.name!r} is required for a {kind.name}")
            default = field.default
            record[field.name] = list(default) if isinstance(default, list) else default
            if isinstance(default, dict):
                record[field.name] = dict(default)
            continue
        value = _coerce(field, values[field.name])
        _check_value(field, value)
        record[field.name] = value
    _check_kind_rules(kind.name, record)
    return record


def _check_kind_rules(kind: str, record: Record) -> None:
    if kind != "extension" and record.get("name") in RESERVED_NAMES:
        raise RecordError(f"the name {record['name']!r} is reserved")
    if kind == "extension" and not PASSWORD.fullmatch(record["password"]):
        raise RecordError(
            f"extension password: {MIN_PASSWORD_LENGTH}-64 printable characters, "
            "no spaces, quotes or ';'"
        )
    if kind == "extension" and record["require_tls_srtp"]:
        _check_requires_tls_srtp(record)
    if kind == "trunk" and record["password"] and not PASSWORD.fullmatch(record["password"]):
        raise RecordError("trunk password: printable characters, no spaces, quotes or ';'")
    if kind == "trunk":
        if not 1 <= record["port"] <= 65535:
            raise RecordError("trunk port must be 1-65535")
        # Codec names are left to Asterisk, which alone knows the codecs its modules provide.
        if not record["codecs"] or not all(CODEC.fullmatch(str(c)) for c in record["codecs"]):
            raise RecordError("trunk codecs: one or more names like ulaw, alaw, g722")
    if kind == "queue" and not all(NUMBER.fullmatch(str(m)) for m in record["members"]):
        raise RecordError("queue members must be extension numbers")
    if kind == "ivr":
        for digit, target in record["options"].items():
            if not re.fullmatch(r"[0-9*#]", str(digit)) or not DESTINATION.fullmatch(str(target)):
                raise RecordError(
                    f"IVR option {digit}={target}: use a key 0-9,*,# and "
                    "extension:NUMBER, queue:NAME or ivr:NAME"
                )


def _check_requires_tls_srtp(extension: Record) -> None:
    """An extension that requires TLS and SRTP must also be set to use them: a requirement its
    own phone could not meet would only make every call fail."""
    if extension["transport"] != "tls" or extension["media_encryption"] == "none":
        raise RecordError(
            f"extension {extension['number']}: require_tls_srtp needs transport=tls and "
            "media_encryption=sdes or dtls"
        )


def redact(kind: Kind, record: Record | None) -> Record | None:
    """The record as shown in answers and the audit log: secrets replaced."""
    if record is None:
        return None
    secrets = {field.name for field in kind.fields if field.secret}
    return {k: ("********" if k in secrets and v else v) for k, v in record.items()}
