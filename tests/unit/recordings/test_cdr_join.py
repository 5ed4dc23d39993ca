"""A recording's facts take its call's trunk and length from the CDR, whichever comes first
(the CDR at the hang-up, or the recording stored by the spool)."""

from __future__ import annotations

from pathlib import Path

from orpheus.cdr.records import CdrRecord
from orpheus.recordings.cdr_join import KEPT, CdrJoin
from orpheus.recordings.store import RecordingStore
from tests.unit.storage.parts import make_recording


def cdr(recording_id: str, trunk: str | None = "carrier") -> CdrRecord:
    return CdrRecord(
        recording_id, "2026-11-02T10:00:00+00:00", "2026-11-02T10:00:04+00:00",
        "2026-11-02T10:01:04+00:00", 64, 60, "0612345678", "101", "answered", "inbound",
        trunk, ("101",),
    )  # fmt: skip


def test_a_cdr_after_the_recording_is_written_into_its_facts(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "recordings")
    make_recording(store, "1764650000.1")
    CdrJoin(store).received(cdr("1764650000.1"))
    (facts,) = store.recordings()
    assert facts["trunk"] == "carrier" and facts["call_duration_seconds"] == 64
    assert (facts["started"], facts["caller"], facts["called"], facts["direction"]) == (
        "2026-11-02T10:00:00+00:00", "0612345678", "101", "inbound",
    )  # fmt: skip
    assert facts["duration_seconds"] and facts["bytes"]


def test_a_cdr_before_the_recording_waits_for_it(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "recordings")
    join = CdrJoin(store)
    join.received(cdr("1764650000.2", trunk=None))  # an internal call: no trunk
    make_recording(store, "1764650000.2", direction="internal")
    join.finished("1764650000.2")
    assert store.get("1764650000.2")["trunk"] is None
    assert store.get("1764650000.2")["call_duration_seconds"] == 64


def test_a_moved_recording_takes_it_on_its_drive_and_waiting_ones_are_bounded(
    tmp_path: Path,
) -> None:
    internal, drive = RecordingStore(tmp_path / "i"), RecordingStore(tmp_path / "usb")
    make_recording(drive, "1764650000.3")
    join = CdrJoin(internal, lambda: [drive])
    join.received(cdr("1764650000.3"))
    assert drive.get("1764650000.3")["trunk"] == "carrier"
    for n in range(KEPT + 10):
        join.received(cdr(f"1764650001.{n}"))
    make_recording(internal, "1764650001.0")
    join.finished("1764650001.0")  # the oldest waiting one was let go
    assert "trunk" not in internal.get("1764650001.0")
