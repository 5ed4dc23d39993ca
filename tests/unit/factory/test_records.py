"""The station's records (factory/records.py) and their CSV export."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest

from orpheus.factory.records import Record, RecordError, RecordStore, export_csv


def sealed(serial: str, model: str = "SSD 16G") -> Record:
    return Record(
        serial, "mini", result="sealed", admin_password="Abcd-Efgh-Jkmn-Pqrs",
        hardware={"fingerprint": "ab" * 16, "mac": "52:54:00:00:00:01", "ram_bytes": 1,
                  "cpus": 2, "nics": [{"name": "eth0", "mac": "52:54:00:00:00:01"}],
                  "disk": {"model": model, "serial": "S1", "size_bytes": 9}},
        identity={"tier": "mini", "manufactured": "2026-12-02"},
        steps={"seal": {"result": "ok", "seconds": 0.25}},
    )  # fmt: skip


def test_a_record_is_saved_owner_only_and_read_back(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records")
    store.save(sealed("ORP-1"))
    assert stat.S_IMODE((tmp_path / "records/ORP-1.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "records").stat().st_mode) == 0o700
    assert store.load("ORP-1") == sealed("ORP-1")
    assert store.load("ORP-2") is None
    assert [r.serial for r in store.all()] == ["ORP-1"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("{", "unreadable record"), ('{"serial": "ORP-1", "bored": 1}', "not a record"),
     ('{"serial": "ORP-9", "board": "mini"}', "holds serial 'ORP-9'")],
)  # fmt: skip
def test_a_bad_record_file_is_one_line(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "ORP-1.json").write_text(text)
    with pytest.raises(RecordError, match=reason):
        RecordStore(tmp_path).load("ORP-1")


def test_a_serial_is_never_a_path(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="bad serial"):
        RecordStore(tmp_path).path("../../etc/passwd")


def test_the_csv_has_no_passwords_unless_asked_and_no_formulas() -> None:
    records = [sealed("ORP-1"), sealed("ORP-2", model='=HYPERLINK("http://x")')]
    rows = list(csv.DictReader(io.StringIO(export_csv(records))))
    assert [row["serial"] for row in rows] == ["ORP-1", "ORP-2"]
    assert "admin_password" not in rows[0] and rows[0]["seconds"] == "0.25"
    assert rows[0]["fingerprint"] == "ab" * 16 and rows[0]["tier"] == "mini"
    assert rows[1]["disk_model"] == '\'=HYPERLINK("http://x")'  # a spreadsheet shows, not runs
    with_passwords = list(csv.DictReader(io.StringIO(export_csv(records, with_passwords=True))))
    assert with_passwords[0]["admin_password"] == "Abcd-Efgh-Jkmn-Pqrs"
