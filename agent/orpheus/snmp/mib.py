"""ORPHEUS-MIB as data: every object once, with the provider area and key its value comes from.

The MIB text (rootfs_overlay/usr/share/snmp/mibs/ORPHEUS-MIB.txt) and this table must agree;
tests/snmp/test_mib.py compares them through smidump.

The module sits under the IANA experimental arc, 1.3.6.1.3.7361, until the project has a
private enterprise number: move ORPHEUS_ARC then, and the MIB's MODULE-IDENTITY with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from orpheus.snmp.agentx import Oid, ValueType

ORPHEUS_ARC: Oid = (1, 3, 6, 1, 3, 7361)
NOTIFICATIONS: Oid = (*ORPHEUS_ARC, 0)
OBJECTS: Oid = (*ORPHEUS_ARC, 1)


class Syntax(Enum):
    """SMI syntaxes used by the MIB and how each is carried on the wire."""

    # (SMI name, wire type): two syntaxes on one wire type stay two members (an Enum makes
    # members of equal value aliases: TruthValue would stand for every Integer32).
    DISPLAY_STRING = ("DisplayString", ValueType.OCTET_STRING)
    INTEGER32 = ("Integer32", ValueType.INTEGER)
    TRUTH_VALUE = ("TruthValue", ValueType.INTEGER)
    ENUMERATION = ("INTEGER", ValueType.INTEGER)  # INTEGER { name(1), ... }
    GAUGE32 = ("Gauge32", ValueType.GAUGE32)
    COUNTER64 = ("Counter64", ValueType.COUNTER64)
    GAUGE64 = ("CounterBasedGauge64", ValueType.COUNTER64)  # from HCNUM-TC

    @property
    def wire(self) -> ValueType:
        """How a value of this syntax is carried in AgentX."""
        return self.value[1]


@dataclass(frozen=True)
class Scalar:
    name: str
    oid: Oid
    syntax: Syntax
    area: str
    key: str


@dataclass(frozen=True)
class Column:
    name: str
    subid: int
    syntax: Syntax
    key: str


@dataclass(frozen=True)
class Table:
    """Rows come from a list of mappings at values[area][key]; the index is from index_key."""

    name: str
    entry_oid: Oid
    area: str
    key: str
    index_key: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _oid(*subids: int) -> Oid:
    return (*OBJECTS, *subids)


S = Syntax
SCALARS: tuple[Scalar, ...] = (
    # orpheusFirmware
    Scalar("orpheusFirmwareVersion", _oid(1, 1), S.DISPLAY_STRING, "status", "version"),
    Scalar("orpheusFirmwareBuildDate", _oid(1, 2), S.DISPLAY_STRING, "status", "build_date"),
    Scalar("orpheusBootedSlot", _oid(1, 3), S.DISPLAY_STRING, "status", "booted_slot"),
    Scalar("orpheusOtherSlotVersion", _oid(1, 4), S.DISPLAY_STRING, "update", "other_version"),
    Scalar("orpheusOtherSlotState", _oid(1, 5), S.DISPLAY_STRING, "update", "other_state"),
    Scalar("orpheusLastUpdateResult", _oid(1, 6), S.DISPLAY_STRING, "update", "last_result"),
    Scalar("orpheusLastUpdateTime", _oid(1, 7), S.DISPLAY_STRING, "update", "last_time"),
    # orpheusUnit
    Scalar("orpheusBoard", _oid(2, 1), S.DISPLAY_STRING, "status", "board"),
    Scalar("orpheusSerial", _oid(2, 2), S.DISPLAY_STRING, "status", "serial"),
    Scalar("orpheusTier", _oid(2, 3), S.DISPLAY_STRING, "license", "tier"),
    Scalar("orpheusWeakSipPasswords", _oid(2, 4), S.GAUGE32, "status", "weak_passwords"),
    # orpheusLicense
    Scalar("orpheusUpdateSupportDaysLeft", _oid(3, 1), S.INTEGER32, "license", "support_days_left"),
    Scalar("orpheusLicenseAddOns", _oid(3, 2), S.DISPLAY_STRING, "license", "add_ons"),
    # orpheusAsterisk
    Scalar("orpheusAsteriskUp", _oid(4, 1), S.TRUTH_VALUE, "asterisk", "up"),
    Scalar("orpheusAsteriskUptime", _oid(4, 2), S.GAUGE32, "asterisk", "uptime_seconds"),
    Scalar("orpheusActiveCalls", _oid(4, 3), S.GAUGE32, "asterisk", "active_calls"),
    Scalar("orpheusActiveChannels", _oid(4, 4), S.GAUGE32, "asterisk", "active_channels"),
    Scalar("orpheusCallsProcessed", _oid(4, 5), S.COUNTER64, "asterisk", "calls_processed"),
    # orpheusHa
    Scalar("orpheusHaRole", _oid(5, 1), S.DISPLAY_STRING, "ha", "role"),
    Scalar("orpheusHaPeerReachable", _oid(5, 2), S.TRUTH_VALUE, "ha", "peer_reachable"),
    Scalar("orpheusHaLastFailover", _oid(5, 3), S.DISPLAY_STRING, "ha", "last_failover"),
    Scalar("orpheusHaSyncLag", _oid(5, 4), S.GAUGE32, "ha", "sync_lag_seconds"),
    # orpheusSecurity
    Scalar("orpheusBlockedAddresses", _oid(7, 1), S.GAUGE32, "firewall", "blocked"),
    Scalar("orpheusBlocksMade", _oid(7, 2), S.COUNTER64, "firewall", "blocks_made"),
)

TABLES: tuple[Table, ...] = (
    Table(
        "orpheusLicenseLimitTable",
        _oid(3, 3, 1),
        "license",
        "limits",
        "index",
        (
            Column("orpheusLicenseResource", 2, S.DISPLAY_STRING, "resource"),
            Column("orpheusLicenseLimit", 3, S.INTEGER32, "limit"),
            Column("orpheusLicenseUsage", 4, S.GAUGE32, "usage"),
        ),
    ),
    Table(
        "orpheusTrunkTable",
        _oid(4, 6, 1),
        "asterisk",
        "trunks",
        "index",
        (
            Column("orpheusTrunkName", 2, S.DISPLAY_STRING, "name"),
            Column("orpheusTrunkRegistered", 3, S.TRUTH_VALUE, "registered"),
            Column("orpheusTrunkReachable", 4, S.TRUTH_VALUE, "reachable"),
            Column("orpheusTrunkActiveCalls", 5, S.GAUGE32, "active_calls"),
        ),
    ),
    Table(
        "orpheusEndpointTable",
        _oid(4, 7, 1),
        "asterisk",
        "endpoints",
        "index",
        (
            Column("orpheusEndpointName", 2, S.DISPLAY_STRING, "name"),
            Column("orpheusEndpointRegistered", 3, S.GAUGE32, "registered"),
            Column("orpheusEndpointUnreachable", 4, S.GAUGE32, "unreachable"),
        ),
    ),
    Table(
        "orpheusStorageTable",
        _oid(6, 1, 1),
        "storage",
        "targets",
        "index",
        (
            Column("orpheusStorageName", 2, S.DISPLAY_STRING, "name"),
            Column("orpheusStorageMounted", 3, S.TRUTH_VALUE, "mounted"),
            Column("orpheusStorageTotal", 4, S.GAUGE64, "total_bytes"),
            Column("orpheusStorageFree", 5, S.GAUGE64, "free_bytes"),
            Column("orpheusStorageRecordings", 6, S.GAUGE32, "recordings"),
            Column("orpheusStorageState", 7, S.ENUMERATION, "state"),
            Column("orpheusStorageRecordingBytes", 8, S.GAUGE64, "recording_bytes"),
            Column("orpheusStorageLabel", 9, S.DISPLAY_STRING, "label"),
        ),
    ),
)

# Notification name -> (sub-identifier under orpheusNotifications, objects it carries).
NOTIFICATION_TYPES: dict[str, int] = {
    "orpheusHaRoleChanged": 1,
    "orpheusUpdateInstalled": 2,
    "orpheusUpdateRolledBack": 3,
    "orpheusLicenseNearExpiry": 4,
    "orpheusLicenseExpired": 5,
    "orpheusLicenseChanged": 6,
    "orpheusStorageNearlyFull": 7,
    "orpheusAsteriskDown": 8,
    "orpheusAsteriskBackUp": 9,
    "orpheusTrunkUnreachable": 10,
    "orpheusFallbackRestored": 11,
    "orpheusStorageTargetAdded": 12,
    "orpheusStorageTargetRemoved": 13,
    "orpheusStorageStateChanged": 14,
}

SCALARS_BY_NAME = {scalar.name: scalar for scalar in SCALARS}
TABLES_BY_NAME = {table.name: table for table in TABLES}


def notification_oid(name: str) -> Oid:
    return (*NOTIFICATIONS, NOTIFICATION_TYPES[name])


def object_names() -> dict[str, Oid]:
    """Every accessible object of the MIB by name (scalars and columns, without instance)."""
    names = {scalar.name: scalar.oid for scalar in SCALARS}
    for table in TABLES:
        names.update({column.name: (*table.entry_oid, column.subid) for column in table.columns})
    return names
