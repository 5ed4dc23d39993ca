"""What a call started over the API dials, decided the way the unit's dialplan decides it.

The call runs through the normal dialplan (pbx/render.py): Asterisk rings the caller's
extension first and, once it answers, runs `orpheus-internal` at the destination on that
channel, as if the phone had dialled the number itself; so the licence's call limit and every
other rule apply as to any dialled call. Before anything rings, the agent refuses what that
dialplan cannot connect: a number no extension, queue or IVR menu has and no outbound route's
prefix matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orpheus.pbx.records import DISPLAY_NAME, NUMBER
from orpheus.pbx.render import outbound_routes
from orpheus.pbx.store import Config

# Digits and the keys of a phone; a leading + as a carrier number is written. The dialplan's
# patterns (`_X.`, `_<prefix>X.`) need two characters at least.
DESTINATION = re.compile(r"^\+?[0-9*#]{2,32}$")
CALLER_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
CALLER_NAME = DISPLAY_NAME  # as the extensions' names, which become their caller ids
EXTENSION = NUMBER
# A call's id is its linked id: an Asterisk unique id (epoch.sequence), or the 32 hex digits
# the agent gives the calls it starts.
CALL_ID = re.compile(r"^([0-9a-f]{32}|[0-9]{1,20}\.[0-9]{1,10})$")
CONTEXT = "orpheus-internal"  # where the extensions' own calls run


@dataclass(frozen=True)
class Route:
    kind: str  # extension, queue, ivr or outbound
    name: str  # the extension's number, the queue's or menu's name, the route's prefix
    trunks: tuple[str, ...] = ()


def _outbound_match(prefix: str, number: str) -> bool:
    """`_<prefix>X.`: the prefix, one digit, then at least one more character."""
    rest = number[len(prefix) :]
    return number.startswith(prefix) and len(rest) >= 2 and rest[0].isdigit()


def route(config: Config, number: str) -> Route | None:
    """Where orpheus-internal sends `number`, or None when it hangs up on it. An outbound
    pattern is more specific than the internal `_X.` and so wins, as in Asterisk; of two
    outbound routes the longer prefix does."""
    matches = [(p, t) for p, t in outbound_routes(config) if _outbound_match(p, number)]
    if matches:
        prefix, trunks = max(matches, key=lambda match: len(match[0]))
        return Route("outbound", prefix, tuple(trunks))
    if not number[:1].isdigit():  # `_X.` starts with a digit
        return None
    if number in config["extension"]:
        return Route("extension", number)
    for queue in config["queue"].values():
        if queue["number"] == number:
            return Route("queue", queue["name"])
    for menu in config["ivr"].values():
        if menu["number"] == number and not menu["parent"]:
            return Route("ivr", menu["name"])
    return None


def caller_id(name: str, number: str) -> str:
    """Asterisk's form, as the extensions' endpoints carry it (pbx/render.py)."""
    return f'"{name}" <{number}>' if name else number
