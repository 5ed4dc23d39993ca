"""Copy and move between targets (the stick a directory: no USB hardware here): verified
copies, the source deleted only after one, resumed after a SIGKILL at each step without a
duplicate or a loss, a copy that reads back wrong, a drive gone mid-move, hostile files.

ENOSPC on a real (tiny tmpfs) filesystem is in tests/full_disk/test_recordings_move.py."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orpheus.jobs.model import Job
from orpheus.jobs.registry import JobRegistry
from orpheus.recordings.selection import Selection
from orpheus.recordings.store import RecordingStore
from orpheus.storage.journal import Plan
from orpheus.storage.transfer import Copier
from orpheus.storage.transfer_job import Transfers
from tests.unit.storage.crash_child import USB, transfers
from tests.unit.storage.parts import make_recording

IDS = [f"1764650000.{n}" for n in range(1, 5)]
REPO = Path(__file__).resolve().parents[3]


def internal(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "data/recordings")


def stick(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "run/storage" / USB / "orpheus-recordings")


def recordings(tmp_path: Path, ids: list[str] = IDS) -> dict[str, bytes]:
    store = internal(tmp_path)
    return {i: make_recording(store, i, started=f"2026-11-0{n + 1}T10:00:00+00:00")
            for n, i in enumerate(ids)}  # fmt: skip


def run(work: Transfers, plan: Plan) -> Job:
    job = JobRegistry().claim(Job(plan.mode, f"{plan.source} -> {plan.destination}"))
    JobRegistry().run(job, lambda j: work.run(j, plan))
    return job


def files_in(store: RecordingStore) -> list[str]:
    return sorted(p.name for p in store.directory.iterdir()) if store.directory.exists() else []


def audio_of(store: RecordingStore, recording_ids: list[str]) -> dict[str, bytes]:
    return {i: store.audio_path(i).read_bytes() for i in recording_ids}


def test_copy_leaves_the_source_and_makes_identical_recordings(tmp_path: Path) -> None:
    made = recordings(tmp_path)
    work = transfers(tmp_path)
    job = run(work, work.plan("copy", "internal", USB, Selection()))
    assert job.state == "succeeded", job.message
    assert job.message.startswith(f"copied 4 recording(s) (0.3 MB) from internal to {USB}")
    assert audio_of(stick(tmp_path), IDS) == made == audio_of(internal(tmp_path), IDS)
    copied = stick(tmp_path).get(IDS[0])
    assert copied["target"] == USB and copied["started"] == "2026-11-01T10:00:00+00:00"
    assert not any(name.endswith(".copy") for name in files_in(stick(tmp_path)))
    assert not work.journal.path.exists()


def test_copy_again_finds_them_there(tmp_path: Path) -> None:
    recordings(tmp_path)
    work = transfers(tmp_path)
    run(work, work.plan("copy", "internal", USB, Selection()))
    job = run(work, work.plan("copy", "internal", USB, Selection()))
    assert job.state == "succeeded" and "(4 already there)" in job.message


def test_move_deletes_each_source_after_its_copy_and_reports_progress(tmp_path: Path) -> None:
    made = recordings(tmp_path)
    work = transfers(tmp_path)
    job = run(work, work.plan("move", "internal", USB, Selection()))
    assert job.state == "succeeded" and job.progress == 100
    assert files_in(internal(tmp_path)) == []
    assert audio_of(stick(tmp_path), IDS) == made
    assert any("4 of 4 recording(s)" in line for line in job.log)
    back = run(work, work.plan("move", USB, "internal", Selection()))  # and back again
    assert back.state == "succeeded" and audio_of(internal(tmp_path), IDS) == made
    assert files_in(stick(tmp_path)) == []


def test_only_the_selected_recordings_move(tmp_path: Path) -> None:
    recordings(tmp_path)
    work = transfers(tmp_path)
    plan = work.plan(
        "move",
        "internal",
        USB,
        Selection.from_request({"since": "2026-11-02", "until": "2026-11-03"}),
    )
    assert plan.ids == IDS[1:3]
    run(work, plan)
    assert sorted(i for i, _ in stick(tmp_path).entries()) == IDS[1:3]
    assert [i for i, _ in internal(tmp_path).entries()] == [IDS[0], IDS[3]]


@pytest.mark.parametrize(("step", "nth"), [("written", 2), ("published", 2), ("deleted", 3)])
def test_a_kill_at_any_step_resumes_without_duplicate_or_loss(
    tmp_path: Path, step: str, nth: int
) -> None:
    made = recordings(tmp_path)
    child = subprocess.run(
        [sys.executable, "-m", "tests.unit.storage.crash_child", str(tmp_path), step, str(nth)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": f"{REPO / 'agent'}:{REPO}"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert child.returncode == -9, child.stderr
    work = transfers(tmp_path)
    plan = work.journal.read()
    assert plan is not None and plan.ids == IDS
    job = run(work, plan)  # what the agent's next start does
    assert job.state == "succeeded", job.message
    assert files_in(internal(tmp_path)) == []  # every source gone, none twice
    assert audio_of(stick(tmp_path), IDS) == made  # every recording there, intact
    assert sorted(files_in(stick(tmp_path))) == sorted(
        [f"{i}.age" for i in IDS] + [f"{i}.json" for i in IDS]
    )
    if step == "written":  # the one written, and maybe the one before it being read back
        assert re.search(r"removed [12] partial copy\(ies\)", " ".join(job.log)), job.log
    assert not work.journal.path.exists()


def test_a_move_cut_between_a_sources_facts_and_its_audio_is_finished(tmp_path: Path) -> None:
    made = recordings(tmp_path, IDS[:1])
    work = transfers(tmp_path)
    plan = work.plan("move", "internal", USB, Selection())
    run(work, work.plan("copy", "internal", USB, Selection()))
    internal(tmp_path).facts_path(IDS[0]).unlink()  # where the power went
    job = run(work, plan)
    assert job.state == "succeeded" and files_in(internal(tmp_path)) == []
    assert audio_of(stick(tmp_path), IDS[:1]) == made


def test_a_sources_lone_audio_is_kept_when_the_destination_holds_another(
    tmp_path: Path,
) -> None:
    made = recordings(tmp_path, IDS[:1])
    make_recording(stick(tmp_path), IDS[0])  # another recording under the same id
    work = transfers(tmp_path)
    plan = work.plan("move", "internal", USB, Selection())
    internal(tmp_path).facts_path(IDS[0]).unlink()
    job = run(work, plan)
    assert job.state == "succeeded" and "1 no longer on internal" in job.message
    assert internal(tmp_path).audio_path(IDS[0]).read_bytes() == made[IDS[0]]


class CorruptingCopier(Copier):
    """A drive that silently changes what it is given (a fake writer: the fault a failing
    flash stick shows), one byte of the first block."""

    def write_block(self, writer: int, block: bytes) -> None:
        if os.lseek(writer, 0, os.SEEK_CUR) == 0:
            block = bytes([block[0] ^ 1]) + block[1:]
        super().write_block(writer, block)


def test_a_copy_that_reads_back_wrong_keeps_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = recordings(tmp_path)
    monkeypatch.setattr("orpheus.storage.transfer_job.Copier", CorruptingCopier)
    work = transfers(tmp_path)
    job = run(work, work.plan("move", "internal", USB, Selection()))
    assert job.state == "failed"
    assert job.message == (
        f"the copy of {IDS[0]} on {USB} differs from its source when read back: source kept "
        "(is the drive failing?)"
    )
    assert audio_of(internal(tmp_path), IDS) == made
    assert files_in(stick(tmp_path)) == []  # no partial, no unverified copy
    assert not work.journal.path.exists()


def test_a_drive_gone_mid_move_ends_the_job_in_one_line(tmp_path: Path) -> None:
    made = recordings(tmp_path)
    root = tmp_path / "run/storage" / USB

    def pull(step: str, recording_id: str) -> None:
        if step == "deleted" and recording_id == IDS[1]:
            shutil.rmtree(root)

    work = transfers(tmp_path, pull)
    job = run(work, work.plan("move", "internal", USB, Selection()))
    assert job.state == "failed"
    assert job.message == (
        f"{USB} went away: move stopped after 2 of 4 recording(s); the rest is still on internal"
    )
    assert audio_of(internal(tmp_path), IDS[2:]) == {i: made[i] for i in IDS[2:]}
    assert [i for i, _ in internal(tmp_path).entries()] == IDS[2:]


def test_a_drive_pulled_at_the_moves_last_sync_is_said_to_have_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The source's folder synced last fails with EIO (the drive pulled, udev not yet heard):
    one line that says the drive went away, the moved recordings on internal."""
    made = recordings(tmp_path)
    work = transfers(tmp_path)
    run(work, work.plan("move", "internal", USB, Selection()))
    root = tmp_path / "run/storage" / USB

    def pulled(target: object) -> None:
        shutil.rmtree(root)
        raise OSError(errno.EIO, "Input/output error", str(root / "orpheus-recordings"))

    monkeypatch.setattr("orpheus.storage.transfer_job._sync_directory", pulled)
    monkeypatch.setattr("orpheus.storage.transfer_job.REMOVAL_GRACE_SECONDS", 0.5)
    job = run(work, work.plan("move", USB, "internal", Selection()))
    assert job.state == "failed"
    assert job.message == f"{USB} went away: move stopped after 4 of 4 recording(s)"
    assert audio_of(internal(tmp_path), IDS) == made


def test_a_pulled_drive_whose_folder_answers_eio_is_not_reachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before udev's removal, the dead mount's folder fails even a stat with EIO: the job's
    message is then "went away", not the EIO escaping as an unexpected error."""
    recordings(tmp_path)
    work = transfers(tmp_path)
    folder = work.targets.get(USB).recordings_dir
    real_is_dir = Path.is_dir

    def is_dir(path: Path) -> bool:
        if path == folder:
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real_is_dir(path)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    assert work.targets_reachable(USB) is False
    assert work.targets_reachable("internal") is True


def test_hostile_files_on_a_stick_are_skipped_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text('{"privacy": "key"}')
    work = transfers(tmp_path)
    store = stick(tmp_path)
    make_recording(store, IDS[0])
    make_recording(store, IDS[1])
    store.audio_path(IDS[0]).unlink()
    store.audio_path(IDS[0]).symlink_to(secret)  # audio that is a link
    store.facts_path(IDS[1]).unlink()
    store.facts_path(IDS[1]).symlink_to(secret)  # facts that are a link
    os.mkfifo(store.directory / "1764650000.9.age")  # a FIFO must not block the copy
    (store.directory / "1764650000.9.json").write_text("{}")
    planted = internal(tmp_path).copy_path(IDS[2])  # a link where a partial copy would go
    internal(tmp_path).ensure()
    planted.symlink_to(secret)
    job = run(work, work.plan("copy", USB, "internal", Selection()))
    assert job.state == "succeeded", job.message
    assert secret.read_text() == '{"privacy": "key"}'
    assert files_in(internal(tmp_path)) == []
    assert "skipped" in " ".join(job.log)


def test_a_journal_that_does_not_parse_is_dropped(tmp_path: Path) -> None:
    work = transfers(tmp_path)
    work.journal.path.parent.mkdir(parents=True)
    hostile_id = '{"mode": "move", "source": "internal", "destination": "usb-x", "ids": ["../x"]}'
    for text in ("{", hostile_id, '{"mode": "rm", "source": "a", "ids": []}'):
        work.journal.path.write_text(text)
        assert work.journal.read() is None
        assert not work.journal.path.exists()


def test_a_copy_to_internal_leaves_the_spools_recordings_in_progress(tmp_path: Path) -> None:
    work = transfers(tmp_path)
    make_recording(stick(tmp_path), IDS[0])
    live = internal(tmp_path).partial_path(IDS[1])  # a call being recorded right now
    internal(tmp_path).ensure()
    live.write_bytes(b"age header and the first chunks")
    job = run(work, work.plan("copy", USB, "internal", Selection()))
    assert job.state == "succeeded", job.message
    assert live.read_bytes() == b"age header and the first chunks"


def test_an_agent_stopping_keeps_the_journal_for_its_next_start(tmp_path: Path) -> None:
    recordings(tmp_path)
    work = transfers(tmp_path)
    plan = work.plan("move", "internal", USB, Selection())
    work.stopping.set()
    job = run(work, plan)
    assert (job.state, job.message) == (
        "failed",
        "the agent stopped: the move resumes at its start",
    )
    assert work.journal.read() == plan
    assert [i for i, _ in internal(tmp_path).entries()] == IDS
