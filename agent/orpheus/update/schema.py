"""Configuration across firmware versions: a schema number, forward migrations, restore.

The data partition is shared by both slots. Each firmware knows the newest configuration
schema it understands (FIRMWARE_SCHEMA). At start-up:
  * data older than the firmware: a copy of the configuration is kept, then migrated forward;
  * data newer than the firmware (a rollback): the copy taken at update time, which has the
    firmware's schema, is restored; files changed since that copy are reported as lost.
Before an install the agent keeps a copy too (snapshot), so a rollback always finds one.
"""

from __future__ import annotations

import filecmp
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orpheus import files

log = logging.getLogger(__name__)

FIRMWARE_SCHEMA = 1
# schema n -> the function that turns configuration of schema n into schema n + 1.
MIGRATIONS: dict[int, Callable[[Path], None]] = {}
# A test build (builder --test-option config-schema-2) declares a newer schema here, so that
# the update walk in QEMU goes through a migration and a restore before a real one exists.
TEST_SCHEMA_MARKER = Path("/usr/lib/orpheus/test-config-schema")


def firmware_schema(marker: Path = TEST_SCHEMA_MARKER) -> int:
    try:
        return int(marker.read_text().strip())
    except (OSError, ValueError):
        return FIRMWARE_SCHEMA


@dataclass
class ConfigResult:
    action: str  # "none", "initialised", "migrated", "restored", "kept"
    schema: int
    message: str
    lost_changes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "schema": self.schema,
            "message": self.message,
            "lost_changes": self.lost_changes,
            "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }


class ConfigStore:
    """config_dir is the configuration (/data/etc); snapshots live under state_dir."""

    def __init__(self, config_dir: Path, state_dir: Path, schema: int = FIRMWARE_SCHEMA) -> None:
        self.config_dir = config_dir
        self.firmware_schema = schema
        self.schema_file = state_dir / "config-schema"
        self.snapshots = state_dir / "update" / "config-snapshots"

    def data_schema(self) -> int | None:
        try:
            return int(self.schema_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _write_schema(self, schema: int) -> None:
        files.write_file(self.schema_file, f"{schema}\n", mode=0o644)

    def snapshot_path(self, schema: int) -> Path:
        return self.snapshots / f"schema-{schema}"

    def snapshot(self) -> Path:
        """Keeps a copy of the configuration as it is now, under its schema number."""
        schema = self.data_schema() or self.firmware_schema
        target = self.snapshot_path(schema)
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        if self.config_dir.is_dir():
            copy_tree(self.config_dir, tmp)
        else:
            tmp.mkdir()
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        return target

    def reconcile(self, firmware_schema: int | None = None) -> ConfigResult:
        firmware_schema = firmware_schema or self.firmware_schema
        data = self.data_schema()
        if data is None:
            self._write_schema(firmware_schema)
            return ConfigResult("initialised", firmware_schema, "configuration schema recorded")
        if data == firmware_schema:
            return ConfigResult("none", data, "configuration schema matches the firmware")
        if data < firmware_schema:
            return self._migrate(data, firmware_schema)
        return self._restore(data, firmware_schema)

    def _migrate(self, data: int, firmware_schema: int) -> ConfigResult:
        self.snapshot()
        for schema in range(data, firmware_schema):
            step = MIGRATIONS.get(schema)
            if step:
                step(self.config_dir)
        self._write_schema(firmware_schema)
        return ConfigResult(
            "migrated",
            firmware_schema,
            f"configuration migrated from schema {data} to {firmware_schema} "
            f"(copy of schema {data} kept)",
        )

    def _restore(self, data: int, firmware_schema: int) -> ConfigResult:
        copy = self.snapshot_path(firmware_schema)
        if not copy.is_dir():
            return ConfigResult(
                "kept",
                data,
                f"configuration has schema {data}, newer than this firmware's "
                f"{firmware_schema}, and no copy of schema {firmware_schema} exists: kept as is",
            )
        lost = changed_files(copy, self.config_dir)
        aside = self.snapshot_path(data)
        shutil.rmtree(aside, ignore_errors=True)
        aside.parent.mkdir(parents=True, exist_ok=True)
        if self.config_dir.is_dir():
            shutil.move(self.config_dir, aside)
        copy_tree(copy, self.config_dir)
        self._write_schema(firmware_schema)
        message = f"configuration of schema {firmware_schema} restored from its copy"
        if lost:
            message += f"; {len(lost)} change(s) made since are lost (kept in {aside})"
        return ConfigResult("restored", firmware_schema, message, lost)


def copy_tree(source: Path, target: Path) -> None:
    """A copy that keeps owners as well as modes and times. Asterisk runs as its own user
    and reads files of mode 0640: a plain copytree by root would leave them unreadable."""
    shutil.copytree(source, target, symlinks=True)
    for path in [target, *target.rglob("*")]:
        original = (source / path.relative_to(target)).lstat()
        os.lchown(path, original.st_uid, original.st_gid)


def changed_files(old: Path, new: Path) -> list[str]:
    """Relative paths that differ between two trees (added, removed or changed)."""
    names = {p.relative_to(root) for root in (old, new) for p in root.rglob("*") if not p.is_dir()}
    changed = []
    for name in sorted(names):
        a, b = old / name, new / name
        if not (a.exists() and b.exists()) or not filecmp.cmp(a, b, shallow=False):
            changed.append(str(name))
    return changed
