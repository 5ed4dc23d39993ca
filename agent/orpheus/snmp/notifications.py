"""Notifications: changes between two successive refreshes of the values, as SNMP traps.

Each rule compares the previous and the new values of one area and yields the
notifications due; only transitions count (nothing is sent for a state the unit was
already in when the agent started), so a restart never floods the receivers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from orpheus.snmp.agentx import Oid, VarBind
from orpheus.snmp.mib import SCALARS_BY_NAME, TABLES_BY_NAME, notification_oid
from orpheus.snmp.view import encode

Values = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Thresholds:
    storage_full_percent: int = 90
    license_warning_days: int = 30


@dataclass(frozen=True)
class Notification:
    name: str
    varbinds: tuple[VarBind, ...]

    @property
    def oid(self) -> Oid:
        return notification_oid(self.name)


def scalar(name: str, values: Values) -> VarBind | None:
    definition = SCALARS_BY_NAME[name]
    encoded = encode(definition.syntax, values.get(definition.area, {}).get(definition.key))
    return VarBind((*definition.oid, 0), *encoded) if encoded else None


def cell(table_name: str, column_name: str, row: Mapping[str, Any]) -> VarBind | None:
    table = TABLES_BY_NAME[table_name]
    column = table.column(column_name)
    encoded = encode(column.syntax, row.get(column.key))
    if not encoded:
        return None
    return VarBind((*table.entry_oid, column.subid, int(row[table.index_key])), *encoded)


def _notification(name: str, *varbinds: VarBind | None) -> Notification:
    return Notification(name, tuple(v for v in varbinds if v is not None))


def _both(area: str, old: Values, new: Values) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    return old.get(area) or {}, new.get(area) or {}


def ha_role(old: Values, new: Values, _: Thresholds) -> Iterator[Notification]:
    before, after = _both("ha", old, new)
    if before.get("role") and after.get("role") and before["role"] != after["role"]:
        yield _notification(
            "orpheusHaRoleChanged",
            scalar("orpheusHaRole", new),
            scalar("orpheusHaPeerReachable", new),
        )


def update_result(old: Values, new: Values, _: Thresholds) -> Iterator[Notification]:
    before, after = _both("update", old, new)
    if not before or not after.get("last_result"):
        return
    if (before.get("last_result"), before.get("last_time")) == (
        after.get("last_result"),
        after.get("last_time"),
    ):
        return
    if "roll" in str(after["last_result"]).lower():
        yield _notification(
            "orpheusUpdateRolledBack",
            scalar("orpheusFirmwareVersion", new),
            scalar("orpheusBootedSlot", new),
        )
    else:
        yield _notification(
            "orpheusUpdateInstalled",
            scalar("orpheusLastUpdateResult", new),
            scalar("orpheusLastUpdateTime", new),
            scalar("orpheusOtherSlotVersion", new),
        )


def fallback_restored(old: Values, new: Values, _: Thresholds) -> Iterator[Notification]:
    """A restore of the other slot that ended good since the last refresh."""
    before, after = _both("update", old, new)
    if not before or after.get("fallback_state") != "good":
        return
    if (before.get("fallback_state"), before.get("fallback_time")) != (
        after.get("fallback_state"),
        after.get("fallback_time"),
    ):
        yield _notification(
            "orpheusFallbackRestored",
            scalar("orpheusOtherSlotVersion", new),
            scalar("orpheusOtherSlotState", new),
        )


def license_state(old: Values, new: Values, limits: Thresholds) -> Iterator[Notification]:
    before, after = _both("license", old, new)
    if not before or not after:
        return
    days_before, days_after = before.get("support_days_left"), after.get("support_days_left")
    if days_before is not None and days_after is not None:
        days = scalar("orpheusUpdateSupportDaysLeft", new)
        if days_before > 0 >= days_after:
            yield _notification("orpheusLicenseExpired", days)
        elif days_before > limits.license_warning_days >= days_after > 0:
            yield _notification("orpheusLicenseNearExpiry", days)
    # Usage moves all the time: a change of the licence is its tier, add-ons or limits.
    if [before.get("tier"), before.get("add_ons"), _limits(before)] != [
        after.get("tier"),
        after.get("add_ons"),
        _limits(after),
    ]:
        yield _notification(
            "orpheusLicenseChanged", scalar("orpheusTier", new), scalar("orpheusLicenseAddOns", new)
        )


def _limits(area: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    return [(row.get("resource"), row.get("limit")) for row in area.get("limits") or []]


def _used_percent(row: Mapping[str, Any]) -> float | None:
    total, free = row.get("total_bytes"), row.get("free_bytes")
    if not total or free is None:
        return None
    return 100.0 * float(total - free) / float(total)


def storage_full(old: Values, new: Values, limits: Thresholds) -> Iterator[Notification]:
    before, after = _both("storage", old, new)
    previous = {row["name"]: _used_percent(row) for row in before.get("targets", [])}
    for row in after.get("targets", []):
        used, was = _used_percent(row), previous.get(row["name"])
        if used is not None and was is not None and was < limits.storage_full_percent <= used:
            yield _notification(
                "orpheusStorageNearlyFull",
                cell("orpheusStorageTable", "orpheusStorageName", row),
                cell("orpheusStorageTable", "orpheusStorageFree", row),
            )


def storage_targets(old: Values, new: Values, _: Thresholds) -> Iterator[Notification]:
    """A drive plugged in or pulled out (ejected), and a target whose state changed
    (mounted, read-only, unreachable, full, unsupported)."""
    before, after = _both("storage", old, new)
    if not before or not after:
        return
    was = {row["name"]: row for row in before.get("targets", [])}
    now = {row["name"]: row for row in after.get("targets", [])}
    table = "orpheusStorageTable"
    for name, row in now.items():
        if name not in was:
            yield _notification(
                "orpheusStorageTargetAdded",
                cell(table, "orpheusStorageName", row),
                cell(table, "orpheusStorageState", row),
            )
        elif was[name].get("state") != row.get("state"):
            yield _notification(
                "orpheusStorageStateChanged",
                cell(table, "orpheusStorageName", row),
                cell(table, "orpheusStorageState", row),
            )
    for name, row in was.items():
        if name not in now:
            yield _notification(
                "orpheusStorageTargetRemoved", cell(table, "orpheusStorageName", row)
            )


def asterisk_up(old: Values, new: Values, _: Thresholds) -> Iterator[Notification]:
    before, after = _both("asterisk", old, new)
    if "up" not in before or "up" not in after or before["up"] == after["up"]:
        return
    if after["up"]:
        yield _notification(
            "orpheusAsteriskBackUp",
            scalar("orpheusAsteriskUp", new),
            scalar("orpheusAsteriskUptime", new),
        )
    else:
        yield _notification("orpheusAsteriskDown", scalar("orpheusAsteriskUp", new))


def trunk_unreachable(old: Values, new: Values, _: Thresholds) -> Iterator[Notification]:
    before, after = _both("asterisk", old, new)
    was_reachable = {row["name"] for row in before.get("trunks", []) if row.get("reachable")}
    for row in after.get("trunks", []):
        if row["name"] in was_reachable and not row.get("reachable"):
            table = "orpheusTrunkTable"
            yield _notification(
                "orpheusTrunkUnreachable",
                cell(table, "orpheusTrunkName", row),
                cell(table, "orpheusTrunkRegistered", row),
                cell(table, "orpheusTrunkReachable", row),
            )


Rule = Callable[[Values, Values, Thresholds], Iterator[Notification]]
RULES: tuple[Rule, ...] = (
    ha_role,
    update_result,
    fallback_restored,
    license_state,
    storage_full,
    storage_targets,
    asterisk_up,
    trunk_unreachable,
)


def due(old: Values, new: Values, thresholds: Thresholds) -> list[Notification]:
    return [notification for rule in RULES for notification in rule(old, new, thresholds)]
