"""Recordings benchmark (issue 13): the cost of encrypting a call's recording to the privacy
officer's key (age, X25519 + ChaCha20-Poly1305) and of reading it back, on one core.

A G.711 call records 16 kB/s (two 8 kB/s legs mixed into a 16-bit WAV at 8 kHz): the share
of one core a recorded call costs is that rate over the measured throughput.

A move between two targets (storage/transfer_job.py: copy, fsync, read back uncached,
compare, rename, delete) is timed beside plain `cp` of the same files onto the same
filesystem, and `cp` then `sync`, in the same run (the issue's goal: at least 0.9 of cp).

The times on the booted image (USB plug to listed, NAS add to mounted, the API's answers while
the NAS is dead, a recording listed after its call) are taken by the QEMU storage tests
(tests/qemu/test_usb_recordings.py, test_nas.py), which boot the guest anyway: this benchmark
copies their last figures with the file's date rather than booting a guest of its own.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orpheus.jobs.model import Job
from orpheus.privacy import age
from orpheus.recordings.selection import Selection
from orpheus.recordings.store import RecordingStore
from orpheus.storage.journal import Journal
from orpheus.storage.registry import StorageTargets
from orpheus.storage.transfer_job import Transfers
from testbed.paths import LOG_DIR

MIB = 1 << 20
SIZE = 64 * MIB
WRITE = 4096  # Asterisk's MixMonitor writes the WAV in small blocks
CALL_BYTES_PER_SECOND = 16_000
MOVE_FILES = 32
MOVE_FILE_BYTES = 2 * MIB  # about two minutes of a call each
MOVE_RUNS = 3  # the machine may be busy: each figure is the median of this many runs
QEMU_FIGURES = LOG_DIR / "storage-figures.json"  # tests/qemu/recorded_calls.py writes it


def _encrypt(plain: bytes, recipient: bytes) -> tuple[bytes, float]:
    out = io.BytesIO()
    started = time.perf_counter()
    encryptor = age.Encryptor(out, recipient)
    for offset in range(0, len(plain), WRITE):
        encryptor.write(plain[offset : offset + WRITE])
    encryptor.finish()
    return out.getvalue(), time.perf_counter() - started


def _decrypt(sealed: bytes, identity: bytes) -> float:
    started = time.perf_counter()
    for _chunk in age.decrypt(io.BytesIO(sealed), identity):
        pass
    return time.perf_counter() - started


class _Directory:
    """Mounter: the "drive" is a directory of the same filesystem (the bench compares the
    move with cp on one target, not drives)."""

    def mount(self, volume: object, where: Path, *, read_only: bool = False) -> None:
        where.mkdir(parents=True)

    def unmount(self, where: Path) -> None:
        pass


def _recordings(store: RecordingStore) -> None:
    store.ensure()
    for n in range(MOVE_FILES):
        recording_id = f"1764650000.{n}"
        store.partial_path(recording_id).write_bytes(os.urandom(MOVE_FILE_BYTES))
        store.publish(recording_id, {"id": recording_id, "started": "2026-11-02T10:00:00+00:00"})


def _timed(action: Any) -> float:
    subprocess.run(["sync"], check=True)  # nothing of the setup left to write
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def move_against_cp(directory: Path | None = None) -> dict[str, Any]:
    """MiB/s of a verified move and of cp (and cp + sync) of the same files, one filesystem:
    the medians of MOVE_RUNS runs (each run times all three on fresh files)."""
    runs = [_move_against_cp_once(directory) for _ in range(MOVE_RUNS)]
    cp_seconds, cp_sync_seconds, move_seconds = (
        statistics.median(run[key] for run in runs) for key in range(3)
    )
    total = MOVE_FILES * MOVE_FILE_BYTES / MIB
    return {
        "move_mib_per_s": round(total / move_seconds, 1),
        "cp_mib_per_s": round(total / cp_seconds, 1),
        "cp_sync_mib_per_s": round(total / cp_sync_seconds, 1),
        # Each run's share, then their median (a share from medians of separate runs would
        # mix a quiet run's cp with a busy run's move).
        "move_share_of_cp": round(statistics.median(c / m for c, _, m in runs), 2),
        "move_share_of_cp_sync": round(statistics.median(s / m for _, s, m in runs), 2),
        "move_sample_mib": total,
        "move_runs": MOVE_RUNS,
    }


def _move_against_cp_once(directory: Path | None) -> tuple[float, float, float]:
    """Seconds of cp, of cp + sync and of the move, in that order, in one run."""
    with tempfile.TemporaryDirectory(dir=directory) as work:
        root = Path(work)
        (root / "data").mkdir()
        store = RecordingStore(root / "data/recordings")
        _recordings(store)
        sources = sorted(str(p) for p in store.directory.iterdir())
        plain = root / "cp"
        plain.mkdir()
        cp_seconds = _timed(lambda: subprocess.run(["cp", *sources, str(plain)], check=True))
        shutil.rmtree(plain)
        plain.mkdir()
        cp_sync_seconds = _timed(
            lambda: (
                subprocess.run(["cp", *sources, str(plain)], check=True),
                subprocess.run(["sync"], check=True),
            )
        )
        targets = StorageTargets(
            store.directory, root / "run", _Directory(), root / "storage.json",
            mounted=Path.is_dir,
        )  # fmt: skip
        stick = targets.device_added({
            "DEVNAME": "/dev/sdb1", "ID_BUS": "usb", "ID_FS_USAGE": "filesystem",
            "ID_FS_TYPE": "ext4", "ID_FS_UUID": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        })  # fmt: skip
        assert stick is not None
        work_ = Transfers(targets, Journal(root / "journal.json"))
        plan = work_.plan("move", "internal", stick.name, Selection())
        move_seconds = _timed(lambda: work_.run(Job("move"), plan))
        assert len(list(stick.recordings_dir.glob("*.age"))) == MOVE_FILES
    return cp_seconds, cp_sync_seconds, move_seconds


def run(board: str) -> dict[str, Any]:
    identity = age.generate_identity()
    plain = os.urandom(SIZE)
    sealed, encrypt_seconds = _encrypt(plain, age.public_of(identity))
    decrypt_seconds = _decrypt(sealed, identity)
    encrypt_rate = SIZE / encrypt_seconds
    return {
        "encrypt_mib_per_s": round(encrypt_rate / MIB, 1),
        "decrypt_mib_per_s": round(SIZE / decrypt_seconds / MIB, 1),
        "overhead_bytes_per_mib": round((len(sealed) - SIZE) / (SIZE / MIB)),
        "recorded_call_core_share_percent": round(100 * CALL_BYTES_PER_SECOND / encrypt_rate, 4),
        "sample_mib": SIZE // MIB,
        **move_against_cp(),
        "qemu_storage": qemu_storage_figures(),
    }


def qemu_storage_figures(path: Path = QEMU_FIGURES) -> dict[str, Any]:
    """The QEMU storage tests' last timings (seconds, under TCG), with when they were taken."""
    if not path.exists():
        return {"missing": f"{path} (run tests/qemu/test_usb_recordings.py, test_nas.py)"}
    taken = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"taken": taken, **json.loads(path.read_text())}
