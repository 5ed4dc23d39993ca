"""The guest of the image tests: the board's built image, booted once under QEMU."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.paths import LOG_DIR
from testbed.vm import Vm, VmConfig
from tests.qemu.recorded_calls import Recorder, prepare


@pytest.fixture(scope="package")
def vm(image: Path, ssh_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vm]:
    """The image booted once for the tests of this package, powered off (ACPI) after the last
    one, so that it does not share the machine's two cores with later guests."""
    config = VmConfig(
        image=image,
        workdir=tmp_path_factory.mktemp("vm"),
        ssh_public_key=ssh_key.with_suffix(".pub").read_text().strip(),
        # test_usb.py plugs USB drives into this controller through QMP
        extra_args=["-device", "qemu-xhci,id=xhci"],
    )
    guest = Vm(config)
    guest.start()
    try:
        guest.wait_healthy()
        yield guest
    finally:
        clean = guest.shutdown()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(guest.console_log, LOG_DIR / f"console-{image.stem}.log")
        if not clean:
            pytest.fail("the guest did not power off within the timeout after an ACPI shutdown")


@pytest.fixture(scope="package")
def recorder(vm: Vm, ssh_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Recorder:
    """The guest ready to record calls for the storage tests (recorded_calls.py)."""
    return prepare(vm, ssh_key, tmp_path_factory.mktemp("recorder"))
