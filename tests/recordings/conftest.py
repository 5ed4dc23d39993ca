"""A Lite unit whose agent follows the sandboxed Asterisk's RAM spool for recordings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.pbx_unit import Unit, running_unit


@pytest.fixture(scope="module")
def recording_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("recording-unit")
    netns = f"orpheus-rec-{os.getpid()}"
    # The sandbox's /run is a tmpfs (testbed/rootfs.py): Asterisk's /run/orpheus-recording.
    spool = workdir / "sandbox/merged/run/orpheus-recording"
    settings = {"recording_spool_dir": spool, "recording_poll_seconds": 0.2}
    with running_unit(rootfs, workdir, netns, "lite", "ORP-REC-0001", settings) as unit:
        yield unit
