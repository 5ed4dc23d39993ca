"""Shared fixtures: the built image of the board under test and one QEMU guest per session."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vm import SOURCE_DIR, Vm, VmConfig, find_image, make_ssh_key

BUILD_DIR = SOURCE_DIR / "build"
LOG_DIR = BUILD_DIR / "test-logs"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--board",
        default=os.environ.get("BOARD", "mini"),
        help="board whose built image the image and QEMU tests use (default: mini)",
    )


@pytest.fixture(scope="session")
def board(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--board"))


@pytest.fixture(scope="session")
def board_dir(board: str) -> Path:
    return BUILD_DIR / board


@pytest.fixture(scope="session")
def image(board: str) -> Path:
    """The built image; a missing one fails the test (make test builds it first)."""
    return find_image(board, BUILD_DIR)


@pytest.fixture(scope="session")
def manifest(board_dir: Path) -> dict[str, object]:
    return json.loads((board_dir / "manifest.json").read_text())


@pytest.fixture(scope="session")
def rootfs() -> Path:
    root = BUILD_DIR / "rootfs"
    if not (root / "usr/lib/orpheus/release.json").is_file():
        pytest.fail(f"no built root filesystem at {root}: run `make rootfs`")
    return root


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ssh_key(tmp_path_factory.mktemp("ssh"))


@pytest.fixture(scope="session")
def vm(image: Path, ssh_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vm]:
    """The image booted once for the whole session; powered off (ACPI) at the end."""
    config = VmConfig(
        image=image,
        workdir=tmp_path_factory.mktemp("vm"),
        ssh_public_key=ssh_key.with_suffix(".pub").read_text().strip(),
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
