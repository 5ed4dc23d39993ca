"""What a recording is called: in Asterisk's RAM spool, on the data partition, in the API.

Asterisk names each recording from facts of the call the dialplan knows at its start:
`<epoch>_<uniqueid>_<direction>_<caller>_<called>.sln` (raw signed linear, 8 kHz, 16 bit,
mono: no header, so the agent can encrypt it as it grows). The parties pass the dialplan's
FILTER to digits, `+` and `*` (a caller ID is hostile), and the agent takes only names that
match the whole pattern. The recording's id is Asterisk's unique id of the channel.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

# The RAM spool as Asterisk sees it (a tmpfs on the unit: rootfs_overlay/etc/fstab).
ASTERISK_SPOOL = "/run/orpheus-recording"
SPOOL_SUFFIX = ".sln"
SAMPLE_RATE = 8000
BYTES_PER_SECOND = 2 * SAMPLE_RATE
DIRECTIONS = ("inbound", "outbound", "internal")  # or "unknown" (a name that did not fit)
# A unique id: an optional system name, the epoch and a sequence number.
ID_PATTERN = r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,31}-)?[0-9]{1,12}\.[0-9]{1,10}"
_ID = re.compile(ID_PATTERN)
_PARTY = r"[0-9+*]{0,32}"
_SPOOL_NAME = re.compile(
    rf"(?P<epoch>[0-9]{{1,12}})_(?P<id>{ID_PATTERN})_(?P<direction>{'|'.join(DIRECTIONS)})"
    rf"_(?P<caller>{_PARTY})_(?P<called>{_PARTY}){re.escape(SPOOL_SUFFIX)}"
)
# A name of this spool whose parties do not fit (should FILTER's cut fail): facts unknown.
_LOOSE_NAME = re.compile(
    rf"(?P<epoch>[0-9]{{1,12}})_(?P<id>{ID_PATTERN})_[A-Za-z0-9_+*]{{0,200}}"
    rf"{re.escape(SPOOL_SUFFIX)}"
)
_FILTERED = "0-9+*"


@dataclass(frozen=True)
class CallFacts:
    recording_id: str
    started: str  # ISO 8601, UTC
    direction: str
    caller: str
    called: str


def parse_spool_name(name: str) -> CallFacts | None:
    found = _SPOOL_NAME.fullmatch(name)
    loose = found or _LOOSE_NAME.fullmatch(name)
    if loose is None:
        return None
    started = datetime.datetime.fromtimestamp(int(loose["epoch"]), datetime.UTC).isoformat()
    if found is None:
        return CallFacts(loose["id"], started, "unknown", "", "")
    return CallFacts(found["id"], started, found["direction"], found["caller"], found["called"])


def is_recording_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def _filtered(expression: str) -> str:
    return f"${{FILTER({_FILTERED},{expression}):0:32}}"


def mixmonitor(direction: str, called: str) -> str:
    """The dialplan application that records a call; direction and called are dialplan
    expressions (a word, or ${IF(...)}), the called party is filtered like the caller."""
    name = (
        f"${{EPOCH}}_${{UNIQUEID}}_{direction}_{_filtered('${CALLERID(num)}')}"
        f"_{_filtered(called)}{SPOOL_SUFFIX}"
    )
    return f"MixMonitor({ASTERISK_SPOOL}/{name},b)"
