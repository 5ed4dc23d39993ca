"""SNMP reads the features' typed status objects into its MIB areas."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from orpheus.asterisk.monitor import AsteriskState
from orpheus.firewall.control import BlockCounts
from orpheus.firmware import Release
from orpheus.host import HostFigures
from orpheus.licensing.status import Binding, LicenceStatus, Usage
from orpheus.licensing.tiers import TIERS
from orpheus.snmp import sources
from orpheus.snmp.mib import SCALARS, Syntax
from orpheus.status import UnitStatus
from orpheus.update.status import SlotStatus, UpdateStatus

USAGE = Usage(3, 12, 2, 1, 1, False, 0, 0, 0)


def licence(tier: str = "mini") -> LicenceStatus:
    return LicenceStatus(
        tier=tier, board="mini", source="license", license_id="L1", alarm=None,
        limits=TIERS[tier], callcenter=False, usage=USAGE, addons=("cti_free",),
        accepted_addons=("cti_free",), update_support_until=datetime.date(2027, 3, 31),
        update_support_days_left=120, bound_to=Binding("S1", None),
    )  # fmt: skip


def test_licence_area_names_each_limit_and_its_usage() -> None:
    values = sources.license_values(licence())
    assert values["tier"] == "mini" and values["add_ons"] == "cti_free"
    assert values["support_days_left"] == 120
    rows = {row["resource"]: (row["limit"], row["usage"]) for row in values["limits"]}
    assert rows == {"calls": (10, 3), "users": (12, 12), "trunks": (4, 2), "queues": (1, 1)}


def test_unlimited_figures_are_minus_one() -> None:
    rows = {
        row["resource"]: row["limit"] for row in sources.license_values(licence("lite"))["limits"]
    }
    assert rows["users"] == -1 and rows["calls"] == 25


def test_licence_json_keeps_its_shape() -> None:
    data = licence().to_dict()
    assert data["tier_title"] == "Mini" and data["update_support_until"] == "2027-03-31"
    assert data["limits"]["extensions"] == 12 and data["usage"]["concurrent_calls"] == 3
    assert data["bound_to"] == {"serial": "S1", "fingerprint": None}


def slot(bootname: str, booted: bool, version: str) -> SlotStatus:
    return SlotStatus(f"rootfs.{bootname}", bootname, version, "x", "booted" if booted else
                      "inactive", "good", booted, booted)  # fmt: skip


def test_update_area_reads_the_other_slot_and_the_last_install() -> None:
    status = UpdateStatus(
        booted="A", running_version="1.1.0",
        slots=(slot("A", True, "1.1.0"), slot("B", False, "1.0.0")), job=None, pending=None,
        last_install={"result": "ok", "message": "m", "at": "2026-12-01T10:00:00Z"},
        last_commit=None, last_rollback=None, config=None,
    )  # fmt: skip
    assert sources.update_values(status) == {
        "other_version": "1.0.0",
        "other_state": "inactive",
        "last_result": "ok",
        "last_time": "2026-12-01T10:00:00Z",
        "fallback_state": None,
        "fallback_time": None,
    }
    assert status.to_dict()["slots"][1]["boot_status"] == "good"


def test_status_area() -> None:
    status = UnitStatus(
        Release("1.1.0", "2026-12-01T00:00:00Z", "abc", "orpheus-x86_64", "0.0.0"), "0.1",
        "mini", "A", HostFigures(1, (0.0, 0.0, 0.0), 2, 1, None, None),
        AsteriskState(running=True), (),
    )  # fmt: skip
    values = sources.status_values(status, "S1")
    assert values == {"version": "1.1.0", "build_date": "2026-12-01T00:00:00Z",
                      "booted_slot": "A", "board": "mini", "serial": "S1",
                      "weak_passwords": 0}  # fmt: skip


@dataclass(frozen=True)
class Failover:
    time: float


@dataclass(frozen=True)
class Ha:
    role: str
    peer_reachable: bool
    last_failover: Failover | None
    sync_lag_seconds: float | None


def test_ha_area_gives_the_failover_time_in_iso_8601() -> None:
    values = sources.ha_values(Ha("master", True, Failover(1796155713.5), 0.0))
    assert values["last_failover"] == "2026-12-01T20:08:33Z"
    assert sources.ha_values(Ha("slave", False, None, None))["last_failover"] == ""


def test_firewall_area_counts_the_blocks() -> None:
    values = sources.firewall_values(BlockCounts(blocked=3, blocks_made=7))
    assert values == {"blocked": 3, "blocks_made": 7}
    assert sources.firewall_values(BlockCounts(None, 0))["blocked"] is None  # unreadable


def test_firewall_scalars_read_the_firewall_area() -> None:
    scalars = {scalar.name: scalar for scalar in SCALARS}
    blocked, made = scalars["orpheusBlockedAddresses"], scalars["orpheusBlocksMade"]
    assert (blocked.area, blocked.key, blocked.syntax) == ("firewall", "blocked", Syntax.GAUGE32)
    assert (made.area, made.key, made.syntax) == ("firewall", "blocks_made", Syntax.COUNTER64)
    assert blocked.oid == (1, 3, 6, 1, 3, 7361, 1, 7, 1)
