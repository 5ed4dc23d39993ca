"""The data partition full (a tiny tmpfs, really full) while a call is recorded: the recording
stops with an alarm naming the full partition, the RAM spool is still emptied behind
Asterisk (so its writes never fail and the call goes on), no partial file is left, and the
recordings stored before are intact. Needs root for the mount (tiny_disk)."""

from __future__ import annotations

import os
from pathlib import Path

from orpheus.privacy import age
from orpheus.recordings.spool import RecordingSpool
from orpheus.recordings.store import RecordingStore
from tests.full_disk.test_full_disk import fill, tiny_disk

__all__ = ["tiny_disk"]  # the fixture, used by name

BEFORE = "1764650000_1764650000.6_internal_101_102.sln"
DURING = "1764650000_1764650000.7_internal_101_102.sln"


def record(spool: RecordingSpool, source: Path, audio: bytes) -> None:
    """Asterisk writing the call as it goes, the agent's polls between its writes."""
    with source.open("wb", buffering=0) as writer:
        for start in range(0, len(audio), 32 * 1024):
            writer.write(audio[start : start + 32 * 1024])
            spool.scan()
            # sealed (or, once lost, discarded) behind the writer: RAM does not fill
            assert source.stat().st_blocks * 512 <= age.CHUNK + 8 * 1024
    spool.scan()


def test_a_full_data_partition_stops_the_recording_with_an_alarm_and_keeps_the_rest(
    tiny_disk: Path, tmp_path: Path
) -> None:
    identity = age.generate_identity()
    spool_dir, store = tmp_path / "spool", RecordingStore(tiny_disk / "recordings")
    spool_dir.mkdir()
    spool = RecordingSpool(spool_dir, store, lambda: age.public_of(identity))
    kept = os.urandom(2 * age.CHUNK)
    record(spool, spool_dir / BEFORE, kept)
    assert [f["id"] for f in store.recordings()] == ["1764650000.6"]
    fill(tiny_disk)

    record(spool, spool_dir / DURING, os.urandom(6 * age.CHUNK))
    assert not (spool_dir / DURING).exists()  # the RAM spool emptied all the same
    (alarm,) = spool.alarms()
    assert "the data partition is full" in alarm, alarm
    assert [f["id"] for f in store.recordings()] == ["1764650000.6"]
    assert not [p.name for p in store.directory.iterdir() if "1764650000.7" in p.name]
    with store.audio_path("1764650000.6").open("rb") as sealed:
        assert b"".join(age.decrypt(sealed, identity)) == kept
