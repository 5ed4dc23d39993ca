"""The vendor tool: keygen, issue, verify (orpheus.vendor.licences)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orpheus.factory.records import SEALED, Record, RecordStore
from orpheus.vendor import licences as vendor


def test_vendor_tool_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 0
    key = tmp_path / vendor.PRIVATE_NAME
    out = tmp_path / "lic.json"
    assert vendor.main(["issue", "--key", str(key), "--serial", "ORP-7", "--tier", "vm",
                        "--channels", "8", "--output", str(out)]) == 0  # fmt: skip
    public = str(tmp_path / vendor.PUBLIC_NAME)
    assert vendor.main(["verify", "--public-key", public, str(out)]) == 0
    document = json.loads(out.read_text())
    document["payload"]["channels"] = 80
    out.write_text(json.dumps(document))
    assert vendor.main(["verify", "--public-key", public, str(out)]) == 1
    assert "signature does not match" in capsys.readouterr().err
    assert vendor.main(["issue", "--key", str(key), "--serial", "S", "--tier", "vm",
                        "--channels", "3"]) == 1  # fmt: skip
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 1  # never replaces a key


def _record(directory: Path, serial: str, **changes: object) -> Path:
    record = Record(serial=serial, board="mini", result=SEALED,
                    hardware={"fingerprint": "ab" * 32}, identity={"tier": "mini"},
                    self_test={"passed": True})  # fmt: skip
    for name, value in changes.items():
        setattr(record, name, value)
    RecordStore(directory).save(record)
    return directory / f"{serial}.json"


def test_a_licence_is_issued_from_a_sealed_units_factory_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The licensing office's path: the station's record gives the serial, the hardware
    fingerprint and the tier; the licence is bound to both and verifies."""
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 0
    key, out = tmp_path / vendor.PRIVATE_NAME, tmp_path / "lic.json"
    record = _record(tmp_path / "records", "ORP-MINI-0042")
    assert vendor.main(["issue", "--key", str(key), "--from-record", str(record),
                        "--addon", "cti_free", "--output", str(out)]) == 0  # fmt: skip
    payload = json.loads(out.read_text())["payload"]
    assert (payload["serial"], payload["fingerprint"], payload["tier"]) == (
        "ORP-MINI-0042", "ab" * 32, "mini")  # fmt: skip
    assert vendor.main(["verify", "--public-key", str(tmp_path / vendor.PUBLIC_NAME),
                        str(out)]) == 0  # fmt: skip
    capsys.readouterr()


@pytest.mark.parametrize(
    ("changes", "extra", "says"),
    [
        ({"result": "failed"}, [], "was not sealed by the factory"),
        ({"hardware": None}, [], "was not sealed by the factory"),
        ({"self_test": {"passed": False}}, [], "was not sealed by the factory"),
        ({"self_test": None}, [], "was not sealed by the factory"),
        ({"identity": {"serial": "ORP-MINI-0042"}}, [], "the record's identity holds no tier"),
        ({}, ["--serial", "ORP-OTHER-1"], "--serial ORP-OTHER-1 is not the record's"),
        ({}, ["--fingerprint", "cd" * 32], "is not the record's"),
    ],
)  # fmt: skip
def test_a_record_that_cannot_bind_a_licence_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
    changes: dict[str, object], extra: list[str], says: str,
) -> None:  # fmt: skip
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 0
    record = _record(tmp_path / "records", "ORP-MINI-0042", **changes)
    out = tmp_path / "lic.json"
    argv = ["issue", "--key", str(tmp_path / vendor.PRIVATE_NAME), "--from-record", str(record),
            "--output", str(out), *extra]  # fmt: skip
    capsys.readouterr()
    assert vendor.main(argv) == 1
    error = capsys.readouterr().err
    assert says in error and error.count("\n") == 1
    assert not out.exists()


def test_a_missing_or_foreign_record_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 0
    key = str(tmp_path / vendor.PRIVATE_NAME)
    record = _record(tmp_path / "records", "ORP-MINI-0042")
    renamed = record.with_name("ORP-MINI-0043.json")
    record.rename(renamed)  # a record under another unit's name
    capsys.readouterr()
    for path in (tmp_path / "records/ORP-MINI-0099.json", renamed):
        assert vendor.main(["issue", "--key", key, "--from-record", str(path)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert "no such factory record" in errors[0] and "holds serial" in errors[1]
    assert vendor.main(["issue", "--key", key]) == 1
    assert "give --serial and --tier, or --from-record" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "unreadable record"),
        ('{"serial": "ORP-MINI-0042"}', "not a record"),  # no board: a field missing
        ('{"serial": "ORP-MINI-0042", "board": "mini", "colour": "red"}', "not a record"),
    ],
)
def test_an_unreadable_or_incomplete_record_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 0
    record = tmp_path / "records/ORP-MINI-0042.json"
    record.parent.mkdir()
    record.write_text(text)
    out = tmp_path / "lic.json"
    capsys.readouterr()
    argv = ["issue", "--key", str(tmp_path / vendor.PRIVATE_NAME), "--from-record", str(record),
            "--output", str(out)]  # fmt: skip
    assert vendor.main(argv) == 1
    error = capsys.readouterr().err
    assert says in error and error.count("\n") == 1 and error.startswith("orpheus-license: ")
    assert not out.exists()
