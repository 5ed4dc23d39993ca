"""The tier table of the product brief: the single source of every limit the firmware enforces.

`None` means unlimited. The `vm` tier's concurrent calls come from its licence (licensed
external channels, at least VM_MIN_CHANNELS); without a licence a VM runs at the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

VM_MIN_CHANNELS = 5
ADDONS = ("cti", "cti_free", "phone", "callcenter", "attendant")
# Features that are on or off per tier; names shared with HA (refusal()) and the PBX store.
SWITCHED_FEATURES = ("call_recording", "balancer", "high_availability", "remote_extensions")
LITE_ADDONS = frozenset({"cti", "phone", "callcenter", "attendant"})


@dataclass(frozen=True)
class Limits:
    title: str
    concurrent_calls: int  # simultaneous calls Asterisk lets through
    external_calls_only: bool  # vm: only calls through trunks count
    extensions: int | None
    trunks: int | None
    ivr_levels: int | None
    queues: int | None
    call_recording: bool
    balancer: bool
    high_availability: bool
    remote_extensions: bool
    accepted_addons: frozenset[str]

    def allows(self, feature: str) -> bool:
        return bool(getattr(self, feature))

    def with_channels(self, channels: int) -> Limits:
        return replace(self, concurrent_calls=channels)


_LITE_AND_UP = Limits(
    title="Lite",
    concurrent_calls=25,
    external_calls_only=False,
    extensions=None,
    trunks=None,
    ivr_levels=None,
    queues=None,
    call_recording=True,
    balancer=True,
    high_availability=True,
    remote_extensions=True,
    accepted_addons=LITE_ADDONS,
)

TIERS: dict[str, Limits] = {
    "mini": Limits(
        title="Mini",
        concurrent_calls=10,
        external_calls_only=False,
        extensions=12,
        trunks=4,
        ivr_levels=1,
        queues=1,
        call_recording=False,
        balancer=False,
        high_availability=False,
        remote_extensions=False,
        accepted_addons=frozenset({"cti_free"}),
    ),
    "lite": _LITE_AND_UP,
    "v4r": replace(_LITE_AND_UP, title="V4R", concurrent_calls=120),
    "v4rplus": replace(_LITE_AND_UP, title="V4R+", concurrent_calls=120),
    "vm": replace(
        _LITE_AND_UP,
        title="Virtual machine",
        concurrent_calls=VM_MIN_CHANNELS,
        external_calls_only=True,
    ),
}


@dataclass(frozen=True)
class BoardTiers:
    base: str  # what the board runs at without a licence
    licensable: tuple[str, ...]  # tiers a licence may put it at (the Mini-to-Lite upgrade)


BOARDS: dict[str, BoardTiers] = {
    "mini": BoardTiers(base="mini", licensable=("mini", "lite")),
    "lite": BoardTiers(base="lite", licensable=("lite",)),
    "v4r": BoardTiers(base="v4r", licensable=("v4r",)),
    "v4rplus": BoardTiers(base="v4rplus", licensable=("v4rplus",)),
    "vm": BoardTiers(base="vm", licensable=("vm",)),
}
# A unit that cannot tell its board runs at the most restrictive tier: faults never lift limits.
FALLBACK_BOARD = "mini"


def board_tiers(board: str | None) -> BoardTiers:
    return BOARDS.get(board or FALLBACK_BOARD, BOARDS[FALLBACK_BOARD])


def lifting_licence(board: str | None, feature: str, wanted: int | bool = True) -> str:
    """Names the licence that would lift a limit on this board, for refusal messages."""
    if feature == "callcenter":
        tiers = board_tiers(board)
        for tier in tiers.licensable:
            if "callcenter" in TIERS[tier].accepted_addons:
                extra = "" if tier == tiers.base else f" on a {TIERS[tier].title} licence"
                return f"the Call Center add-on{extra}"
        return "no licence this board accepts"
    for tier in board_tiers(board).licensable:
        limits = TIERS[tier]
        value = getattr(limits, feature)
        if value is None or value is True:
            return _licence_title(board, tier)
        if isinstance(value, int) and not isinstance(value, bool) and value >= int(wanted):
            return _licence_title(board, tier)
    return "no licence this board accepts"


def _licence_title(board: str | None, tier: str) -> str:
    base = board_tiers(board).base
    if base == "mini" and tier == "lite":
        return "a Lite licence (the Mini-to-Lite upgrade)"
    return f"a {TIERS[tier].title} licence"
