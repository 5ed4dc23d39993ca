"""Fixtures of the update tests: v1 image, v2 and broken-v2 bundles, a bundle server, and
one guest walked through install, reboot, rollback, forward, automatic rollback and bad
input (it reboots and changes slots, so it is its own VM, not the session `vm` of the image
tests). The guest gets the big bundles on a second, read-only virtio disk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed import bundles
from testbed.bundle_server import BundleServer
from testbed.guest import TIMELINE, Guest
from testbed.paths import LOG_DIR
from testbed.vm import Vm, VmConfig, make_ssh_key


@pytest.fixture(scope="session")
def builds(request: pytest.FixtureRequest) -> bundles.Builds:
    return bundles.builds(faults=not request.config.getoption("--skip-update-faults"))


@pytest.fixture(scope="session")
def v2_bundle(builds: bundles.Builds) -> Path:
    return builds.v2_bundle


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory, v2_bundle: Path) -> Path:
    """What the bundle server serves: v2 and the small bad bundles."""
    directory = tmp_path_factory.mktemp("bundles")
    (directory / v2_bundle.name).symlink_to(v2_bundle)
    return directory


@pytest.fixture(scope="session")
def server(bundle_dir: Path) -> Iterator[BundleServer]:
    served = BundleServer(bundle_dir)
    yield served
    served.close()


@pytest.fixture(scope="session")
def update_guest(
    builds: bundles.Builds, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Guest]:
    workdir = tmp_path_factory.mktemp("update-vm")
    key = make_ssh_key(workdir)
    on_disk = [builds.v2_bundle, builds.broken_bundle, builds.never_boots_bundle]
    disk = bundles.bundle_disk([b for b in on_disk if b is not None], workdir / "bundles.ext4")
    vm = Vm(
        VmConfig(
            image=builds.v1_image,
            workdir=workdir,
            ssh_public_key=key.with_suffix(".pub").read_text().strip(),
            extra_args=["-drive", f"if=virtio,format=raw,readonly=on,file={disk}"],
            cold_reboots=True,
        )
    )
    TIMELINE.unlink(missing_ok=True)
    vm.start()
    try:
        guest = Guest(vm, key)
        guest.note(f"v1 healthy {vm.wait_healthy():.0f} s after power-on")
        yield guest
    finally:
        vm.shutdown()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(vm.console_log, LOG_DIR / "console-update.log")
