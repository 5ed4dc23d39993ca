"""The dashboard's figures, as text, from the API's answers (GET /api/v1/status and friends).

One function makes them, for the page and for its refresh (GET /dashboard/values), so the
two cannot show different things. A route the user's level may not read shows why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orpheus.web.subrequest import Answer

SOURCES = {
    "status": "/api/v1/status",
    "licence": "/api/v1/license",
    "calls": "/api/v1/calls",
    "ha": "/api/v1/ha",
    "update": "/api/v1/update",
    "storage": "/api/v1/storage",
    "blocked": "/api/v1/firewall/blocked",
}
MISSING = "-"


def figures(answers: Mapping[str, Answer]) -> dict[str, Any]:
    """Name -> text, and "alarms" -> list of lines."""
    shown: dict[str, Any] = {}
    shown.update(_status(answers["status"]))
    shown.update(_calls(answers["calls"], answers["licence"]))
    shown.update(_ha(answers["ha"]))
    shown.update(_slots(answers["update"], answers["status"]))
    shown.update(_storage(answers["storage"], answers["status"]))
    if "blocked" in answers:  # a caller from before the block list, its figure left out
        shown.update(_blocked(answers["blocked"]))
    return shown


def _refused(answer: Answer) -> str:
    return f"not shown: {answer.error}"


def _status(answer: Answer) -> dict[str, Any]:
    if not answer.ok:
        reason = _refused(answer)
        keys = (
            "version",
            "board",
            "load",
            "memory",
            "uptime",
            "weak_passwords",
            "asterisk",
            "registered",
        )
        return {key: reason for key in keys} | {"alarms": []}
    status = answer.body
    memory = status.get("memory", {})
    total, available = memory.get("total_bytes") or 0, memory.get("available_bytes") or 0
    asterisk = status.get("asterisk", {})
    return {
        "version": str(status.get("version")),
        "board": str(status.get("board")),
        "load": " ".join(f"{value:.2f}" for value in status.get("load", [])),
        "memory": f"{size(total - available)} used of {size(total)}",
        "uptime": duration(status.get("uptime_seconds") or 0),
        "weak_passwords": str(status.get("weak_passwords", 0)),
        "asterisk": ("running " + str(asterisk.get("version")))
        if asterisk.get("running")
        else f"down: {asterisk.get('error')}",
        "alarms": [str(alarm) for alarm in status.get("alarms", [])],
        "registered": _registered(status.get("registered")),
    }


def _registered(counts: Any) -> str:
    if not isinstance(counts, dict):
        return "unknown (Asterisk does not answer)"
    return (
        f"{counts.get('phones', 0)} phones; {counts.get('trunks', 0)} of "
        f"{counts.get('trunks_configured', 0)} trunks"
    )


def _calls(calls: Answer, licence: Answer) -> dict[str, str]:
    limits = licence.body.get("limits", {}) if licence.ok else {}
    usage = licence.body.get("usage", {}) if licence.ok else {}
    limit = limits.get("concurrent_calls")
    active = str(len(calls.body.get("calls", []))) if calls.ok else _refused(calls)
    return {
        "calls": f"{active} of {limit if limit is not None else MISSING}",
        "extensions": _of(usage.get("extensions"), limits.get("extensions"), licence),
        "trunks": _of(usage.get("trunks"), limits.get("trunks"), licence),
        "tier": str(licence.body.get("tier_title")) if licence.ok else _refused(licence),
    }


def _of(used: Any, limit: Any, answer: Answer) -> str:
    if not answer.ok:
        return _refused(answer)
    return f"{used} of {'unlimited' if limit is None else limit}"


def _ha(answer: Answer) -> dict[str, str]:
    if not answer.ok:
        return {"ha_role": _refused(answer), "ha_peer": MISSING}
    peer = answer.body.get("peer")
    reachable = " (reachable)" if answer.body.get("peer_reachable") else " (unreachable)"
    return {
        "ha_role": str(answer.body.get("role")),
        "ha_peer": f"{peer}{reachable}" if peer else "none",
    }


def _slots(answer: Answer, status: Answer) -> dict[str, str]:
    booted = status.body.get("booted_slot") if status.ok else None
    if not answer.ok:
        reason = "firmware updates not available" if answer.status == 404 else _refused(answer)
        return {"slots": f"booted {booted or MISSING}; {reason}"}
    parts = []
    for slot in answer.body.get("slots", []):
        marks = [
            mark
            for mark, on in (("booted", slot.get("booted")), ("primary", slot.get("primary")))
            if on
        ]
        flags = f" ({', '.join(marks)})" if marks else ""
        parts.append(f"{slot.get('bootname')}: {slot.get('version') or '?'}{flags}")
    return {"slots": "; ".join(parts) or MISSING}


def _storage(answer: Answer, status: Answer) -> dict[str, str]:
    if answer.ok:
        targets = answer.body.get("targets", [])
        text = "; ".join(
            f"{target.get('name')}: {size(target.get('free_bytes') or 0)} free of "
            f"{size(target.get('size_bytes') or 0)}"
            for target in targets
        )
        return {"storage": text or "no storage target"}
    if status.ok:  # without the storage area, the status's own partitions
        parts = status.body.get("storage", {})
        return {
            "storage": "; ".join(
                f"{name}: {size(part.get('free_bytes') or 0)} free of "
                f"{size(part.get('total_bytes') or 0)}"
                for name, part in parts.items()
            )
        }
    return {"storage": _refused(answer)}


def _blocked(answer: Answer) -> dict[str, str]:
    if answer.status == 404:  # an agent without the firewall (firewall_enabled = false)
        return {"blocked": "no firewall"}
    if not answer.ok:
        return {"blocked": _refused(answer)}
    return {"blocked": str(len(answer.body.get("blocked", [])))}


def size(count: float) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def duration(seconds: float) -> str:
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {clock}" if days else clock
