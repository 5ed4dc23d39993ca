"""Outbound call classes: which dialled numbers an extension may send to a trunk.

A class is a set of Asterisk patterns (`_00X.`, `_0[1-6]XXX.`, or a literal number). The
built-in classes below apply unless a stored `callclass` record of the same name replaces
one. The check is rendered into the dialplan (orpheus-class-check), so Asterisk enforces it
while the agent is stopped; an extension whose class is unknown reaches no trunk at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# The store's Config (kind -> key -> record), spelled out: the store imports the records,
# which import this module, so importing it back would close a circle.
Config = dict[str, dict[str, dict[str, Any]]]

DEFAULT_CLASS = "national"
# One atom: a digit, X/Z/N, * # +, or a bracketed set of digits and ranges; `.`/`!` only last.
_ATOM = r"(?:[0-9XZN*#+]|\[(?:[0-9](?:-[0-9])?){1,10}\])"
CALL_PATTERN = re.compile(rf"^(?:_{_ATOM}{{1,32}}[.!]?|[0-9*#+]{{1,32}})$")
_LOCAL = ["_NXXXX."]
_NATIONAL = [*_LOCAL, "_0[1-6]XXX."]
_MOBILE = [*_NATIONAL, "_07XXX."]
_INTERNATIONAL = [*_MOBILE, "_00X.", "_+X."]
DEFAULT_CLASSES: dict[str, list[str]] = {
    "internal": [],
    "local": _LOCAL,
    "national": _NATIONAL,
    "mobile": _MOBILE,
    "international": _INTERNATIONAL,
    "premium": [*_INTERNATIONAL, "_08XXX.", "_09XXX."],
}
REFUSED_EVENT = "OrpheusCallClassRefused"
REFUSED_COUNTER = "orpheus/callclass_refused"  # astdb family/key: survives restarts


def classes(config: Config) -> dict[str, list[str]]:
    """Every class in force: the built-in ones, replaced or added to by stored records."""
    merged = {name: list(patterns) for name, patterns in DEFAULT_CLASSES.items()}
    for name, record in config.get("callclass", {}).items():
        merged[name] = list(record["patterns"])
    return merged


def class_of(extension: dict[str, object]) -> str:
    return str(extension.get("call_class") or DEFAULT_CLASS)


def with_extension_classes(config: Config) -> Config:
    """config with every extension's class filled in: stores from before call classes read
    as national."""
    for extension in config.get("extension", {}).values():
        extension.setdefault("call_class", DEFAULT_CLASS)
    return config


def class_globals(config: Config) -> str:
    """[globals] lines naming each extension's class, read by orpheus-class-check."""
    return "".join(
        f"ORPHEUS_CLASS_{number}={class_of(extension)}\n"
        for number, extension in config["extension"].items()
    )


def check_context() -> str:
    """Refuses (403: cause 21, with an announcement) a number the caller's class does not
    allow; counted in astdb and told to AMI listeners as a UserEvent. Only digits, * # +
    are ever matched, so a dialled string cannot split the function arguments."""
    number = "${ORPHEUS_DIALLED}"
    return (
        "[orpheus-class-check]\n"
        "exten => s,1,Set(LOCAL(class)=${ORPHEUS_CLASS_${CHANNEL(endpoint)}})\n"
        f" same => n,GotoIf($[${{LEN(${{FILTER(0-9*#+,{number})}})}} != ${{LEN({number})}}]"
        "?refused)\n"
        f" same => n,GotoIf(${{DIALPLAN_EXISTS(orpheus-class-${{class}},{number},1)}}?allowed)\n"
        f" same => n(refused),Set(DB({REFUSED_COUNTER})=$[0${{DB({REFUSED_COUNTER})}} + 1])\n"
        f" same => n,UserEvent({REFUSED_EVENT},Class: ${{class}},"
        f"Caller: ${{CHANNEL(endpoint)}},Number: {number})\n"
        " same => n,Log(NOTICE,Orpheus: call refused: class ${class} does not allow the number)\n"
        " same => n,Progress()\n"
        " same => n,Playback(ss-noservice,noanswer)\n"
        " same => n,Hangup(21)\n"
        " same => n(allowed),Return()\n"
    )


def class_contexts(config: Config) -> Iterator[str]:
    for name, patterns in classes(config).items():
        lines = "".join(f"exten => {pattern},1,NoOp(class {name})\n" for pattern in patterns)
        yield f"[orpheus-class-{name}]\n{lines}"
