"""cdr_custom's RAM spool: rows in the layout cdr_custom.conf renders become the same records
as the AMI events; a caller ID with quotes, commas and newlines stays in its field; rows of
another layout and files that are not regular are refused; the records a crash left in the
taken file are read first; a record that came both ways is stored once; a disk that cannot
take a record keeps the rest of the spool for the next time."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from orpheus.cdr import spool as spool_module
from orpheus.cdr.feature import CdrFeature
from orpheus.cdr.records import CdrFilter, parse_event
from orpheus.cdr.seen import SeenRecords
from orpheus.cdr.spool import FIELDS, MARKER, SPOOL_NAME, TAKEN_NAME, CdrSpool, render_cdr_custom
from orpheus.cdr.store import CdrStore
from orpheus.privacy.keys import PrivacyKeys
from tests.unit.cdr.test_records import START, event
from tests.unit.privacy.test_feature import Audit

PASSWORD = "spool officer"


@pytest.fixture(autouse=True)
def no_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool_module, "SETTLE_SECONDS", 0.0)


def row(**fields: str) -> str:
    """One record as cdr_custom writes it: every field quoted, a quote doubled."""
    values = {
        "UniqueID": "1764806400.42",
        "Disposition": "ANSWERED",
        "StartEpoch": str(START),
        "AnswerEpoch": str(START + 5),
        "EndEpoch": str(START + 65),
        "Channel": "PJSIP/101-0000002a",
        "DestinationChannel": "PJSIP/orpheus-trunk-carrier-0000002b",
        "Duration": "65",
        "BillableSeconds": "60",
        "Source": "101",
        "Destination": "0301234567",
        **fields,
    }
    cells = [MARKER, *(values[name] for _, name in FIELDS)]
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells) + "\n"


def make(tmp_path: Path) -> tuple[CdrFeature, CdrSpool, PrivacyKeys]:
    keys = PrivacyKeys(tmp_path / "privacy-key.json", 2**10)
    keys.set_password(PASSWORD, None)
    store = CdrStore(tmp_path / "cdr", keys.recipient)
    feature = CdrFeature(store, lambda *_: b"", Audit(), SeenRecords(tmp_path / "seen"))
    directory = tmp_path / "spool"
    directory.mkdir()
    return feature, CdrSpool(directory), keys


def stored(feature: CdrFeature, keys: PrivacyKeys) -> list[str]:
    identity = keys.identity(PASSWORD)
    return [r.id for r in feature.store.read(identity, CdrFilter()).records]


def test_the_rendered_file_names_every_field_in_order() -> None:
    text = render_cdr_custom()
    assert "[/run/orpheus-cdr/spool.csv]\n" in text
    fields = text.split("fields = ", 1)[1].strip().split(",")
    assert fields == [f'"{MARKER}"', *(name for name, _ in FIELDS)]
    assert 'quote_escape_character = "\n' in text and "quoting_method = all\n" in text


def test_a_row_is_the_same_record_as_the_ami_event(tmp_path: Path) -> None:
    _, spool, _ = make(tmp_path)
    (spool.directory / SPOOL_NAME).write_text(row())
    assert spool.take()
    (from_spool,) = [parse_event(e) for e in spool.events()]
    assert from_spool == parse_event(event())


def test_a_hostile_caller_id_stays_in_its_field(tmp_path: Path) -> None:
    _, spool, _ = make(tmp_path)
    forged = row(UniqueID="1764806400.99", Source="666")
    hostile = f'x",{forged}\n"\r\n' + forged  # would be a row of its own if not quoted
    (spool.directory / SPOOL_NAME).write_text(row(Source=hostile) + row(UniqueID="1764806400.43"))
    assert spool.take()
    records = [parse_event(e) for e in spool.events()]
    assert [r.id for r in records] == ["1764806400.42", "1764806400.43"]
    assert records[0].src.startswith('x",') and "\n" not in records[0].src  # control chars cut
    assert spool.refused == 0


def test_rows_of_another_layout_are_refused(tmp_path: Path) -> None:
    _, spool, _ = make(tmp_path)
    text = '"other-marker","1"\n' + row()[:-1] + ',"extra"\n' + row() + '"unclosed,\n'
    (spool.directory / SPOOL_NAME).write_text(text)
    assert spool.take()
    assert [e["UniqueID"] for e in spool.events()] == ["1764806400.42"]
    assert spool.refused == 3


def test_a_link_planted_as_the_spool_is_not_followed(tmp_path: Path) -> None:
    _, spool, _ = make(tmp_path)
    secret = tmp_path / "secret"
    secret.write_text(row())
    (spool.directory / SPOOL_NAME).symlink_to(secret)
    assert spool.take()
    assert list(spool.events()) == [] and spool.refused == 1
    spool.done()
    assert secret.exists()


def test_drained_records_are_stored_once_whichever_way_they_came(tmp_path: Path) -> None:
    feature, spool, keys = make(tmp_path)
    feature.receive(event())  # over AMI first
    (spool.directory / SPOOL_NAME).write_text(row() + row(UniqueID="1764806400.43"))
    feature.drain_spool(spool)
    feature.receive(event(UniqueID="1764806400.43"))  # AMI after the spool
    assert stored(feature, keys) == ["1764806400.42", "1764806400.43"]
    assert not list(spool.directory.iterdir())
    feature.drain_spool(spool)  # nothing new
    assert len(stored(feature, keys)) == 2


def test_keys_outlive_the_agent_and_a_taken_file_is_read_first(tmp_path: Path) -> None:
    feature, spool, keys = make(tmp_path)
    feature.receive(event())
    # The agent died while reading: its taken file is there, and a newer spool beside it.
    (spool.directory / TAKEN_NAME).write_text(row() + row(UniqueID="1764806400.43"))
    (spool.directory / SPOOL_NAME).write_text(row(UniqueID="1764806400.44"))
    again = CdrFeature(feature.store, lambda *_: b"", Audit(), SeenRecords(tmp_path / "seen"))
    again.drain_spool(spool)
    assert [p.name for p in spool.directory.iterdir()] == [SPOOL_NAME]
    again.drain_spool(spool)
    assert stored(again, keys) == ["1764806400.42", "1764806400.43", "1764806400.44"]


def test_a_disk_that_cannot_store_keeps_the_spool_for_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feature, spool, keys = make(tmp_path)
    (spool.directory / SPOOL_NAME).write_text(row() + row(UniqueID="1764806400.43"))
    real_append = feature.store.append
    calls: list[str] = []

    def append_one(record):  # type: ignore[no-untyped-def]
        calls.append(record.id)
        return real_append(record) if len(calls) == 1 else False

    monkeypatch.setattr(feature.store, "append", append_one)
    feature.drain_spool(spool)
    assert (spool.directory / TAKEN_NAME).exists()
    monkeypatch.setattr(feature.store, "append", real_append)
    feature.drain_spool(spool)
    assert stored(feature, keys) == ["1764806400.42", "1764806400.43"]
    assert not (spool.directory / TAKEN_NAME).exists()


def test_without_a_privacy_password_the_spool_is_not_kept(tmp_path: Path) -> None:
    keys = PrivacyKeys(tmp_path / "privacy-key.json", 2**10)
    store = CdrStore(tmp_path / "cdr", keys.recipient)
    feature = CdrFeature(store, lambda *_: b"", Audit())
    spool = CdrSpool(tmp_path)
    (tmp_path / SPOOL_NAME).write_text(row())
    feature.drain_spool(spool)
    assert not (tmp_path / TAKEN_NAME).exists() and store.lost == 1  # plain in RAM no longer


def test_rows_parse_as_csv_the_way_the_test_writes_them() -> None:
    cells = next(csv.reader(io.StringIO(row(Source='a"b,\nc'), newline="")))
    assert cells[FIELDS.index(("src", "Source")) + 1] == 'a"b,\nc'
