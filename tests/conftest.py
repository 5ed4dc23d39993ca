"""Shared fixtures: the board under test, its built image, manifest and root filesystem."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testbed.paths import BUILD_DIR
from testbed.vm import find_image, make_ssh_key


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--board",
        default=os.environ.get("BOARD", "mini"),
        help="board whose built image the image and QEMU tests use (default: mini)",
    )
    parser.addoption(
        "--skip-update-faults",
        action="store_true",
        help="leave out the update walk's fault part (a firmware that never boots, power "
        "cuts: about 12 min under TCG) for a quicker local run; CI runs it",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--skip-update-faults"):
        return
    skip = pytest.mark.skip(reason="update fault walk left out: --skip-update-faults")
    for item in items:
        if "update_faults" in item.keywords:
            item.add_marker(skip)


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
