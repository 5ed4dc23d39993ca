"""A licence install is all or nothing: the licence file with its audit entry."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from orpheus.audit import log as audit_log
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
