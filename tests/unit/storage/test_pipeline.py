"""The transfer's write-ahead: outcomes (and the first half's exceptions) come in the plan's
order; the writer is never more than one recording ahead of the job; a job that stops
removes the copy written ahead."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from orpheus.storage.pipeline import WriteAhead
from orpheus.storage.transfer import Staged


class FakeCopier:
    def __init__(self, tmp_path: Path, failing: str = "") -> None:
        self.tmp_path = tmp_path
        self.failing = failing
        self.prepared: list[str] = []
        self.finished: list[str] = []
        self.lock = threading.Lock()
        self.most_ahead = 0

    def prepare(self, recording_id: str) -> Staged:
        if recording_id == self.failing:
            raise OSError(28, "No space left on device")
        path = self.tmp_path / f"{recording_id}.age.copy"
        path.write_bytes(b"x")
        with self.lock:
            self.prepared.append(recording_id)
            self.most_ahead = max(self.most_ahead, len(self.prepared) - len(self.finished))
        return Staged(recording_id, {}, path, (b"", 1))

    def discard(self, prepared: Any) -> None:
        if isinstance(prepared, Staged):
            prepared.path.unlink(missing_ok=True)

    def finish(self, prepared: Staged) -> None:
        with self.lock:
            self.finished.append(prepared.recording_id)
        prepared.path.unlink()


IDS = [f"1764650000.{n}" for n in range(1, 7)]


def test_outcomes_in_order_and_never_more_than_one_ahead(tmp_path: Path) -> None:
    copier = FakeCopier(tmp_path)
    with WriteAhead(copier, IDS) as ahead:  # type: ignore[arg-type]
        for recording_id in IDS:
            prepared = ahead.next(recording_id)
            assert isinstance(prepared, Staged) and prepared.recording_id == recording_id
            threading.Event().wait(0.01)  # the writer has time to run ahead, if it would
            copier.finish(prepared)
    assert copier.finished == IDS
    assert copier.most_ahead <= 2  # the one being finished and the one written ahead


def test_an_error_of_the_first_half_is_raised_at_its_recording(tmp_path: Path) -> None:
    copier = FakeCopier(tmp_path, failing=IDS[2])
    with pytest.raises(OSError, match="No space"), WriteAhead(copier, IDS) as ahead:  # type: ignore[arg-type]
        for recording_id in IDS:
            copier.finish(ahead.next(recording_id))  # type: ignore[arg-type]
    assert copier.finished == IDS[:2]
    assert not list(tmp_path.glob("*.copy"))


def test_a_job_that_stops_removes_the_copy_written_ahead(tmp_path: Path) -> None:
    copier = FakeCopier(tmp_path)
    with WriteAhead(copier, IDS) as ahead:  # type: ignore[arg-type]
        copier.finish(ahead.next(IDS[0]))  # type: ignore[arg-type]
        ahead.next(IDS[1])  # taken, then the job stops (its own copy is the job's to drop)
        threading.Event().wait(0.05)
    left = sorted(p.name for p in tmp_path.glob("*.copy"))
    assert left == [f"{IDS[1]}.age.copy"]  # the one written ahead (IDS[2]) is gone
    assert copier.prepared in (IDS[:2], IDS[:3])
