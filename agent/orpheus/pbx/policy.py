"""What the licence allows the PBX configuration to hold: usage, checks and clipping.

A change is refused when it makes a limited figure exceed the licence and larger than it was
(so a unit that fell back to its base tier can still shrink its configuration). What is
rendered into Asterisk is clipped to the licence, so a fault never lifts a limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from orpheus.licensing.active import FEATURE_TITLES, Entitlement
from orpheus.licensing.tiers import lifting_licence
from orpheus.pbx.records import Record, RecordError
from orpheus.pbx.store import Config


@dataclass(frozen=True)
class Usage:
    extensions: int
    trunks: int
    ivr_levels: int
    queues: int
    call_recording: bool
    balancer: int
    remote_extensions: int
    callcenter: int

    def as_dict(self) -> dict[str, int | bool]:
        return dict(self.__dict__)


COUNTED = {
    "extensions": "extensions",
    "trunks": "lines (trunks)",
    "queues": "queues",
    "ivr_levels": "IVR menu levels",
}
SWITCHED = ("balancer", "remote_extensions", "callcenter")


def ivr_depths(menus: dict[str, Record]) -> dict[str, int]:
    """Level of each IVR menu (a top menu is level 1); unknown parents and cycles are errors."""
    depths: dict[str, int] = {}
    for name in menus:
        chain: list[str] = []
        current = name
        while current and current not in depths:
            if current in chain:
                raise RecordError(f"IVR menus {' -> '.join([*chain, current])} form a cycle")
            if current not in menus:
                raise RecordError(f"IVR menu {chain[-1]!r}: parent menu {current!r} does not exist")
            chain.append(current)
            current = menus[current]["parent"]
        level = depths.get(current, 0) if current else 0
        for member in reversed(chain):
            level += 1
            depths[member] = level
    return depths


def usage(config: Config) -> Usage:
    extensions = config.get("extension", {})
    queues = config.get("queue", {})
    depths = ivr_depths(config.get("ivr", {}))
    recording = config.get("recording", {}).get("recording", {})
    return Usage(
        extensions=len(extensions),
        trunks=len(config.get("trunk", {})),
        ivr_levels=max(depths.values(), default=0),
        queues=len(queues),
        call_recording=bool(recording.get("enabled")),
        balancer=len(config.get("balancer", {})),
        remote_extensions=sum(1 for e in extensions.values() if e["remote"]),
        callcenter=sum(1 for q in queues.values() if q["callcenter"]),
    )


def _allowed(entitlement: Entitlement, feature: str) -> bool:
    if feature == "callcenter":
        return entitlement.callcenter
    return entitlement.limits.allows(feature)


def refusal(before: Usage, after: Usage, entitlement: Entitlement) -> str | None:
    """One line naming the limit broken by going from before to after, or None."""
    limits, board, tier = entitlement.limits, entitlement.board, entitlement.limits.title
    for figure, title in COUNTED.items():
        limit = getattr(limits, figure)
        wanted = getattr(after, figure)
        if limit is not None and wanted > limit and wanted > getattr(before, figure):
            cure = lifting_licence(board, figure, wanted)
            return (
                f"refused: the {tier} tier allows {limit} {title} (this change makes {wanted}); "
                f"{cure} lifts it"
            )
    if after.call_recording and not before.call_recording and not limits.call_recording:
        cure = lifting_licence(board, "call_recording")
        return f"refused: call recording is not included in the {tier} tier; {cure} lifts it"
    for feature in SWITCHED:
        grows = getattr(after, feature) > getattr(before, feature)
        if grows and not _allowed(entitlement, feature):
            cure = lifting_licence(board, feature)
            return (
                f"refused: {FEATURE_TITLES[feature]} is not included in the {tier} tier; "
                f"{cure} lifts it"
            )
    return None


def _first(records: dict[str, Record], limit: int | None) -> dict[str, Record]:
    if limit is None:
        return dict(records)
    return dict(list(records.items())[:limit])


def clip(config: Config, entitlement: Entitlement) -> Config:
    """The part of config the licence allows Asterisk to run (oldest records first)."""
    limits = entitlement.limits
    extensions = _first(config.get("extension", {}), limits.extensions)
    if not limits.remote_extensions:
        extensions = {k: e for k, e in extensions.items() if not e["remote"]}
    queues = _first(config.get("queue", {}), limits.queues)
    if not entitlement.callcenter:
        queues = {k: {**q, "callcenter": False} for k, q in queues.items()}
    menus = config.get("ivr", {})
    depths = ivr_depths(menus)
    levels = limits.ivr_levels
    recording = dict(config.get("recording", {}).get("recording", {"enabled": False}))
    if not limits.call_recording:
        recording["enabled"] = False
    return {
        "extension": extensions,
        "trunk": _first(config.get("trunk", {}), limits.trunks),
        "queue": queues,
        "ivr": {k: m for k, m in menus.items() if levels is None or depths[k] <= levels},
        "balancer": dict(config.get("balancer", {})) if limits.balancer else {},
        "recording": {"recording": recording},
        "callclass": dict(config.get("callclass", {})),
    }
