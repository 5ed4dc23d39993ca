"""The state of one build: inputs (board, version, date) and where everything goes."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from builder.boards import Board
from builder.packages import Release

SOURCE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class BuildContext:
    board: Board
    version: str
    build_epoch: int
    commit: str
    build_dir: Path
    source_dir: Path = SOURCE_DIR
    # Another build directory's cache (base and apt archives), shared instead of rebuilt.
    shared_cache_dir: Path | None = None
    # The oldest firmware a bundle of this build may be installed over (MIN_VERSION).
    min_version: str = "0.0.0"
    # A release rebuilt from its manifest's package set (REBUILD_FROM).
    rebuild_from: Release | None = None
    # Filled in by the steps.
    artifacts: list[Path] = field(default_factory=list)

    @property
    def build_date(self) -> str:
        return datetime.fromtimestamp(self.build_epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def cache_dir(self) -> Path:
        return self.shared_cache_dir or self.build_dir / "cache"

    @property
    def rootfs_dir(self) -> Path:
        return self.build_dir / "rootfs"

    @property
    def keys_dir(self) -> Path:
        return self.build_dir / "keys"

    @property
    def board_dir(self) -> Path:
        return self.build_dir / self.board.name

    @property
    def log_dir(self) -> Path:
        return self.build_dir / "logs"

    @property
    def image_name(self) -> str:
        return f"orpheus-{self.board.name}-{self.version}.img"


def _git(source_dir: Path, *args: str) -> str | None:
    result = subprocess.run(
        ["git", "-C", str(source_dir), *args], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def git_commit(source_dir: Path = SOURCE_DIR) -> str:
    return _git(source_dir, "rev-parse", "--short=12", "HEAD") or "unknown"


def git_version(source_dir: Path = SOURCE_DIR) -> str:
    """`git describe` of the newest v* tag, or 0.1.0-dev.<commits>+g<hash> before the first tag."""
    described = _git(source_dir, "describe", "--tags", "--match", "v[0-9]*", "--dirty")
    if described:
        return described.removeprefix("v")
    count = _git(source_dir, "rev-list", "--count", "HEAD") or "0"
    commit = _git(source_dir, "rev-parse", "--short=8", "HEAD") or "unknown"
    return f"0.1.0-dev.{count}+g{commit}"


def build_epoch(release_epoch: int | None = None) -> int:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else a rebuilt release's date, else
    the commit time, else now."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    if release_epoch is not None:
        return release_epoch
    committed = _git(SOURCE_DIR, "log", "-1", "--format=%ct")
    return int(committed) if committed else int(time.time())
