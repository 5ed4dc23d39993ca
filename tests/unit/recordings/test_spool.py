"""The RAM spool's follower on real files: encrypted as the file grows, punched behind the
reader, finished when the writer closes; without a key the audio is discarded."""

from __future__ import annotations

import os
from pathlib import Path

from orpheus.privacy import age
from orpheus.recordings.spool import RecordingSpool, has_writer
from orpheus.recordings.store import RecordingStore

NAME = "1764650000_1764650000.7_outbound_101_0039021234.sln"


def allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


def test_a_growing_recording_is_encrypted_punched_and_published(tmp_path: Path) -> None:
    identity = age.generate_identity()
    spool_dir, store = tmp_path / "spool", RecordingStore(tmp_path / "recordings")
    spool_dir.mkdir()
    spool = RecordingSpool(spool_dir, store, lambda: age.public_of(identity))
    finished: list[str] = []
    spool.finished = finished.append  # the placement's hook: the id once it is stored
    audio = os.urandom(5 * age.CHUNK + 1234)
    source = spool_dir / NAME
    with source.open("wb", buffering=0) as writer:  # Asterisk, writing as the call goes
        for start in range(0, len(audio), 32 * 1024):
            writer.write(audio[start : start + 32 * 1024])
            spool.scan()
            assert allocated(source) <= age.CHUNK + 8 * 1024  # what is sealed is punched out
            assert store.recordings() == [] and finished == []
        reader = os.open(source, os.O_RDONLY)
        assert has_writer(reader)
        os.close(reader)
    spool.scan()
    assert not source.exists() and finished == ["1764650000.7"]
    (facts,) = store.recordings()
    assert facts["id"] == "1764650000.7" and facts["direction"] == "outbound"
    assert (facts["caller"], facts["called"]) == ("101", "0039021234")
    assert facts["audio_bytes"] == len(audio) and not facts["incomplete"]
    with store.audio_path("1764650000.7").open("rb") as sealed:
        assert b"".join(age.decrypt(sealed, identity)) == audio
    assert store.verify("1764650000.7", identity) == len(audio)


def test_without_a_key_the_audio_is_discarded_with_an_alarm(tmp_path: Path) -> None:
    spool_dir, store = tmp_path / "spool", RecordingStore(tmp_path / "recordings")
    spool_dir.mkdir()
    spool = RecordingSpool(spool_dir, store, lambda: None)
    source = spool_dir / NAME
    with source.open("wb", buffering=0) as writer:
        writer.write(os.urandom(100_000))
        spool.scan()
        assert allocated(source) <= 8 * 1024
    spool.scan()
    assert not source.exists() and store.recordings() == []
    assert not (tmp_path / "recordings").exists() or not list((tmp_path / "recordings").iterdir())
    assert "no privacy password is set" in spool.alarms()[0]


def test_a_name_that_is_not_a_recording_is_deleted(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    stray = spool_dir / "not-ours.sln"
    stray.write_bytes(b"x")
    RecordingSpool(spool_dir, RecordingStore(tmp_path / "r"), lambda: None).scan()
    assert not stray.exists()


def test_a_two_hour_recording_never_holds_more_than_a_burst_in_ram(tmp_path: Path) -> None:
    identity = age.generate_identity()
    spool_dir, store = tmp_path / "spool", RecordingStore(tmp_path / "recordings")
    spool_dir.mkdir()
    spool = RecordingSpool(spool_dir, store, lambda: age.public_of(identity))
    burst = 32 * 1024  # what Asterisk's MixMonitor writes at a time
    total = 2 * 3600 * 16_000 // burst * burst  # two hours of 8 kHz 16-bit audio
    source = spool_dir / NAME
    held = 0
    with source.open("wb", buffering=0) as writer:
        piece = os.urandom(burst)
        for _ in range(total // burst):
            writer.write(piece)
            held = max(held, allocated(source))
            spool.scan()
    spool.scan()
    assert held <= age.CHUNK + burst + 4096  # the chunk being filled, a burst, a page
    (facts,) = store.recordings()
    assert facts["audio_bytes"] == total and facts["duration_seconds"] >= 7190
    assert store.verify(facts["id"], identity) == total


def test_an_agent_restarted_mid_call_goes_on_with_the_same_file(tmp_path: Path) -> None:
    identity = age.generate_identity()
    spool_dir, store = tmp_path / "spool", RecordingStore(tmp_path / "recordings")
    resume_dir = tmp_path / "run/recordings"
    spool_dir.mkdir()
    first = RecordingSpool(spool_dir, store, lambda: age.public_of(identity), resume_dir=resume_dir)
    source = spool_dir / NAME
    audio = os.urandom(400_000)
    with source.open("wb", buffering=0) as writer:
        writer.write(audio[:160_000])
        first.scan()
        writer.write(audio[160_000:300_000])
        first.scan()  # two chunks sealed, more held; then the agent is killed (no stop)
        partial = store.partial_path("1764650000.7")
        with partial.open("ab") as torn:
            torn.write(b"a chunk sealed after the state was saved")
        second = RecordingSpool(
            spool_dir, store, lambda: age.public_of(identity), resume_dir=resume_dir
        )
        second.recover()  # what start() does first
        writer.write(audio[300_000:])
        second.scan()
    second.scan()
    (facts,) = store.recordings()
    assert not facts["incomplete"] and facts["audio_bytes"] == len(audio)
    with store.audio_path(facts["id"]).open("rb") as sealed:
        assert b"".join(age.decrypt(sealed, identity)) == audio
    assert list(resume_dir.iterdir()) == []


def test_without_resume_state_the_rest_of_the_call_is_kept_and_marked(tmp_path: Path) -> None:
    identity = age.generate_identity()
    spool_dir, store = tmp_path / "spool", RecordingStore(tmp_path / "recordings")
    spool_dir.mkdir()
    first = RecordingSpool(spool_dir, store, lambda: age.public_of(identity))
    source = spool_dir / NAME
    with source.open("wb", buffering=0) as writer:
        writer.write(os.urandom(160_000))
        first.scan()  # two chunks sealed and punched; the agent then stops mid-call
        assert store.orphans() == ["1764650000.7"]
        second = RecordingSpool(spool_dir, store, lambda: age.public_of(identity))
        second.recover()  # drops the part it cannot finish
        assert store.orphans() == []
        rest = os.urandom(50_000)
        writer.write(rest)
        second.scan()
    second.scan()
    (facts,) = store.recordings()
    assert facts["incomplete"] and facts["missing_seconds"] == round(2 * age.CHUNK / 16_000, 2)
    with store.audio_path(facts["id"]).open("rb") as sealed:
        audio = b"".join(age.decrypt(sealed, identity))
    assert audio.endswith(rest) and len(audio) == 160_000 + 50_000 - 2 * age.CHUNK
