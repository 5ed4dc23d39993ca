"""The station's records: one JSON file per unit, <records>/<serial>.json, mode 0600.

A record is the factory's secret (it holds the unit's admin password) and its memory: it is
written after every step, so a run cut short is taken up from it, and the licensing office's
CSV export is made from the records. Files are written atomically (orpheus.files).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.licensing.identity import SERIAL_PATTERN

RECORDS_DIR = Path("build/factory/records")
FORMAT = 1
SEALED, FAILED, RUNNING = "sealed", "failed", "running"
# A sealed unit whose re-open token the station made: it may be provisioned again.
REOPENED = "reopened"
# What a spreadsheet would run as a formula: such a cell is exported with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RecordError(ValueError):
    """A record unreadable or for another unit (one line)."""


@dataclass
class Record:
    serial: str
    board: str
    result: str = RUNNING
    error: str | None = None  # the failed step's one line
    operator: str | None = None
    port: str | None = None
    firmware: str | None = None
    hardware: dict[str, Any] | None = None
    public_key: str | None = None
    key_sha256: str | None = None  # of the unit's public key (DER), as on its label
    identity: dict[str, Any] | None = None  # the signed identity as written to the unit
    admin_password: str | None = None
    self_test: dict[str, Any] | None = None
    seal_requested: bool = False  # the seal was sent (its reply may have been lost)
    started: str | None = None  # the first run's start
    finished: str | None = None  # the last run's end
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # step: result, seconds
    serial_bytes: dict[str, int] = field(default_factory=dict)  # sent, received (all runs)
    format: int = FORMAT

    @property
    def fingerprint(self) -> str | None:
        return str(self.hardware["fingerprint"]) if self.hardware else None


class RecordStore:
    def __init__(self, directory: Path = RECORDS_DIR) -> None:
        self.directory = directory

    def path(self, serial: str) -> Path:
        if not SERIAL_PATTERN.fullmatch(serial):
            raise RecordError(f"bad serial {serial!r}: 3-64 letters, digits, '.', '_' or '-'")
        return self.directory / f"{serial}.json"

    def load(self, serial: str) -> Record | None:
        path = self.path(serial)
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise RecordError(f"{path}: unreadable record: {error}") from error
        try:
            record = Record(**raw)
        except TypeError as error:
            raise RecordError(f"{path}: not a record: {error}") from error
        if record.serial != serial:
            raise RecordError(f"{path}: holds serial {record.serial!r}, not {serial!r}")
        return record

    def save(self, record: Record) -> None:
        path = self.path(record.serial)
        # exist_ok: a batch's threads make it at the same time
        self.directory.mkdir(parents=True, mode=0o700, exist_ok=True)
        text = json.dumps(asdict(record), indent=2, sort_keys=True) + "\n"
        files.write_file(path, text, mode=0o600)

    def all(self) -> list[Record]:
        paths = sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []
        return [record for p in paths if (record := self.load(p.stem)) is not None]

    def serials_with_fingerprint(self, fingerprint: str) -> list[str]:
        return [r.serial for r in self.all() if r.fingerprint == fingerprint]


CSV_COLUMNS = (
    "serial", "board", "tier", "result", "firmware", "manufactured", "fingerprint", "mac",
    "macs", "key_sha256", "product_uuid", "disk_serial", "disk_model", "disk_bytes",
    "ram_bytes", "cpus", "self_test_passed", "seconds", "operator", "finished", "error",
)  # fmt: skip


def _row(record: Record) -> dict[str, object]:
    identity = record.identity or {}
    hardware = record.hardware or {}
    disk = hardware.get("disk") or {}
    return {
        "serial": record.serial,
        "board": record.board,
        "tier": identity.get("tier"),
        "result": record.result,
        "firmware": record.firmware,
        "manufactured": identity.get("manufactured"),
        "fingerprint": record.fingerprint,
        "mac": hardware.get("mac"),
        "macs": " ".join(nic.get("mac") or "" for nic in hardware.get("nics", [])),
        "key_sha256": record.key_sha256,
        "product_uuid": hardware.get("product_uuid"),
        "disk_serial": disk.get("serial"),
        "disk_model": disk.get("model"),
        "disk_bytes": disk.get("size_bytes"),
        "ram_bytes": hardware.get("ram_bytes"),
        "cpus": hardware.get("cpus"),
        "self_test_passed": (record.self_test or {}).get("passed"),
        "seconds": round(sum(s.get("seconds", 0.0) for s in record.steps.values()), 2),
        "operator": record.operator,
        "finished": record.finished,
        "error": record.error,
    }


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(records: list[Record], *, with_passwords: bool = False) -> str:
    columns = [*CSV_COLUMNS, "admin_password"] if with_passwords else list(CSV_COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = _row(record)
        if with_passwords:
            row["admin_password"] = record.admin_password
        writer.writerow({name: _cell(row[name]) for name in columns})
    return out.getvalue()
