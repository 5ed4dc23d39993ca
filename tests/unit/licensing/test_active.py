"""The licence in force: the base tier without a licence, a licence lifting limits, moved
disks; a licence install is all or nothing (the licence file with its audit entry)."""

from __future__ import annotations

import datetime
import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest

from orpheus.audit import log as audit_log
from orpheus.licensing.active import Licensing
from testbed.pbx_unit import VendorKey, fake_sysfs
from tests.agent_parts import PbxUnit


@pytest.fixture
def unit(tmp_path: Path) -> PbxUnit:
    return PbxUnit(tmp_path / "data", tmp_path)


def _licence_state(unit: PbxUnit) -> tuple[bytes | None, str, object]:
    path = unit.licensing.license_file
    content = path.read_bytes() if path.exists() else None
    return content, unit.licensing.entitlement.tier, unit.audit.read()


def test_install_writes_a_root_only_licence_and_audits_it(unit: PbxUnit) -> None:
    answer = unit.request("PUT", "/api/v1/license", unit.licence("lite"))
    assert answer.status == 200 and answer.body["tier"] == "lite"
    assert unit.licensing.license_file.stat().st_mode & 0o777 == 0o600
    assert [entry["change"] for entry in unit.audit.read()][-1] == "license.install"


def test_licence_file_that_cannot_be_written_changes_nothing(
    unit: PbxUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _licence_state(unit)

    def full(descriptor: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    answer = unit.request("PUT", "/api/v1/license", unit.licence("lite"))
    assert answer.status == 507
    assert answer.body == {"error": f"disk full: could not write {unit.licensing.license_file}"}
    assert _licence_state(unit) == before


def test_audit_that_cannot_be_written_puts_the_previous_licence_back(
    unit: PbxUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert unit.request("PUT", "/api/v1/license", unit.licence("lite")).status == 200
    before = _licence_state(unit)

    seen: list[str] = []

    def full(db: object, entry: object) -> None:
        seen.append(unit.licensing.entitlement.tier)  # the new licence is in effect here
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = sqlite3.SQLITE_FULL
        raise error

    monkeypatch.setattr(audit_log, "write_entry", full)
    answer = unit.request("PUT", "/api/v1/license", unit.licence("mini"))
    assert answer.status == 507
    assert answer.body == {"error": f"disk full: could not write {unit.state_dir / 'pbx.sqlite'}"}
    assert seen == ["mini"]
    assert _licence_state(unit) == before
    assert unit.request("GET", "/api/v1/license").body["tier"] == "lite"


def _licensing(tmp_path: Path, key: VendorKey, uuid: str = "uuid-a") -> Licensing:
    sysfs = fake_sysfs(tmp_path / f"sys-{uuid}", product_uuid=uuid)
    return Licensing(tmp_path / "state", sysfs, tmp_path, key.public_pem, "mini")


@pytest.fixture
def key(tmp_path: Path) -> VendorKey:
    return VendorKey(tmp_path / "vendor")


def test_unit_without_licence_runs_at_its_board_base_tier(tmp_path: Path, key: VendorKey) -> None:
    licensing = _licensing(tmp_path, key)
    assert licensing.entitlement.tier == "mini"
    assert licensing.refusal("high_availability") == (
        "high availability is not included in the Mini tier; "
        "a Lite licence (the Mini-to-Lite upgrade) lifts it"
    )
    assert "Call Center add-on" in (licensing.refusal("callcenter") or "")
    licensing.write_identity("ORP-1", "mini", datetime.date(2026, 1, 10), force=False)
    assert licensing.update_support_until() == datetime.date(2027, 1, 10)


def test_licence_lifts_limits_and_moving_the_disk_drops_them(
    tmp_path: Path, key: VendorKey
) -> None:
    licensing = _licensing(tmp_path, key)
    licensing.write_identity("ORP-1", "mini", None, force=False)
    document = key.licence("ORP-1", "lite", fingerprint=licensing.hardware.fingerprint,
                           addons=["callcenter"])  # fmt: skip
    licensing.install(json.dumps(document).encode())
    assert licensing.entitlement.tier == "lite"
    assert licensing.refusal("high_availability") is None
    assert licensing.refusal("callcenter") is None
    assert licensing.update_support_until() == datetime.date.fromisoformat(
        str(document["payload"]["update_support_until"])  # type: ignore[index]
    )
    # The same data partition in other hardware: base tier, an alarm, limits never lifted.
    moved = _licensing(tmp_path, key, uuid="uuid-b")
    assert moved.entitlement.tier == "mini"
    assert "other hardware" in (moved.entitlement.alarm or "")
    assert moved.refusal("high_availability") is not None
