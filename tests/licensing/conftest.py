"""Units for the licensing tests: one per test module (Asterisk takes a while to start)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.pbx_unit import Unit, running_unit


@pytest.fixture(scope="module")
def mini_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("mini-unit")
    netns = f"orpheus-lic-mini-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="mini", serial="ORP-MINI-0001") as unit:
        yield unit


@pytest.fixture(scope="module")
def vm_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("vm-unit")
    netns = f"orpheus-lic-vm-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="vm", serial="ORP-VM-0001") as unit:
        yield unit
