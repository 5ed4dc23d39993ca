"""Run by test_transfer.py as a process of its own: a move from internal to the stick that
this process SIGKILLs itself at a chosen step of a chosen recording, as a power cut or an
OOM kill would stop the agent (no finally block, no cleanup runs).

    python -m tests.unit.storage.crash_child TMP STEP NTH
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from orpheus.jobs.model import Job
from orpheus.recordings.selection import Selection
from orpheus.storage.journal import Journal
from orpheus.storage.transfer_job import Transfers
from tests.unit.storage.parts import SANDISK_VFAT, registry

USB = "usb-5e1c-8a2f"


def transfers(tmp_path: Path, checkpoint: object = None) -> Transfers:
    targets = registry(tmp_path)
    targets.device_added(SANDISK_VFAT)
    journal = Journal(tmp_path / "data/orpheus/recordings-transfer.json")
    return Transfers(targets, journal, checkpoint)  # type: ignore[arg-type]


def main() -> None:
    tmp_path, step, nth = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    seen: list[str] = []

    def checkpoint(at: str, recording_id: str) -> None:
        if at == step:
            seen.append(recording_id)
            if len(seen) == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    work = transfers(tmp_path, checkpoint)
    plan = work.plan("move", "internal", USB, Selection())
    work.run(Job("move"), plan)
    sys.exit("the move ended without being killed")


if __name__ == "__main__":
    main()
