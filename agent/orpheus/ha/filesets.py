"""What configuration sync carries: named sets of files under the data partition.

A new store joins the sync by adding one FileSet here. SQLite databases are read through
SQLite (a consistent snapshot even while they are being written), everything else as bytes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class FileSet:
    name: str
    directory: str  # relative to the data partition
    include: tuple[str, ...] = ("*",)  # fnmatch patterns on the path relative to directory
    exclude: tuple[str, ...] = ()  # node-local files inside the set

    def holds(self, inner: str) -> bool:
        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatch(inner, pattern) for pattern in patterns)

        return matches(self.include) and not matches(self.exclude)


# Order matters only for reading: every set is synced as a whole at each generation.
FILE_SETS = (
    FileSet("pbx-store", "orpheus", ("pbx.sqlite",)),  # the agent's PBX store (SQLite)
    # manager.conf carries this unit's own AMI secret (orpheus/ami-secret, not synced).
    # Licences are not synced: each is bound to its unit's hardware.
    FileSet("asterisk-config", "etc/asterisk", exclude=("manager.conf",)),
    FileSet(
        "voicemail-greetings",
        "asterisk/spool/voicemail",
        ("*/*/greet.*", "*/*/unavail.*", "*/*/busy.*", "*/*/temp.*", "*/*/name.*"),
    ),
    FileSet("prompts", "asterisk/sounds/custom"),
)

# path relative to the data partition -> (size, mtime_ns[, of the WAL too]): change detection
Stamps = dict[str, tuple[int, ...]]
# path relative to the data partition -> sha256 hex: what both sides compare
Manifest = dict[str, str]


def is_synced_path(relative: str, sets: tuple[FileSet, ...] = FILE_SETS) -> bool:
    for file_set in sets:
        prefix = file_set.directory + "/"
        if relative.startswith(prefix) and file_set.holds(relative[len(prefix) :]):
            return True
    return False


def stamps(data_dir: Path, sets: tuple[FileSet, ...] = FILE_SETS) -> Stamps:
    found: Stamps = {}
    for file_set in sets:
        top = data_dir / file_set.directory
        for dirpath, _dirnames, filenames in os.walk(top):
            for filename in filenames:
                if filename.startswith(".orpheus-sync-"):
                    continue
                path = Path(dirpath, filename)
                inner = str(path.relative_to(top))
                if not file_set.holds(inner):
                    continue
                stamp = _stamp(path)
                if stamp is not None:
                    found[f"{file_set.directory}/{inner}"] = stamp
    return found


def _stamp(path: Path) -> tuple[int, ...] | None:
    """Size and mtime; for SQLite also its write-ahead log's, where commits land first."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if path.suffix not in SQLITE_SUFFIXES:
        return (info.st_size, info.st_mtime_ns)
    try:
        wal = path.with_name(path.name + "-wal").stat()
    except FileNotFoundError:
        return (info.st_size, info.st_mtime_ns, -1, -1)
    return (info.st_size, info.st_mtime_ns, wal.st_size, wal.st_mtime_ns)


def read_content(data_dir: Path, relative: str) -> bytes:
    path = data_dir / relative
    if path.suffix in SQLITE_SUFFIXES:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            image = bytearray(connection.serialize())
        # Marked as a rollback-journal database (header bytes 18 and 19): a WAL-mode image
        # cannot be opened in memory on the receiving side; its live file stays in WAL mode.
        if image.startswith(SQLITE_MAGIC) and len(image) >= 100:
            image[18] = image[19] = 1
        return bytes(image)
    return path.read_bytes()


SQLITE_MAGIC = b"SQLite format 3\x00"
# Header fields a copy through the backup API changes: change counter, schema cookie,
# version-valid-for and the library version.
SQLITE_VOLATILE_HEADER = ((24, 28), (40, 44), (92, 100))


def digest(content: bytes) -> str:
    """sha256 of the content; for SQLite, of its pages without the volatile header fields."""
    if content.startswith(SQLITE_MAGIC) and len(content) >= 100:
        header = bytearray(content[:100])
        for start, end in SQLITE_VOLATILE_HEADER:
            header[start:end] = bytes(end - start)
        content = bytes(header) + content[100:]
    return hashlib.sha256(content).hexdigest()


def write_content(data_dir: Path, relative: str, content: bytes) -> None:
    """Atomic replace: readers see the old file or the new one, never half of it."""
    if not is_synced_path(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing to write {relative!r}: not in a synced set")
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in SQLITE_SUFFIXES and path.exists():
        _restore_sqlite(path, content)
        return
    tmp = path.with_name(f".orpheus-sync-{path.name}")
    tmp.write_bytes(content)
    tmp.replace(path)


def _restore_sqlite(path: Path, content: bytes) -> None:
    """Into the live database (same file, one transaction): open connections see the copy."""
    source = sqlite3.connect(":memory:")
    try:
        source.deserialize(content)
        target = sqlite3.connect(path, timeout=10)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def delete(data_dir: Path, relative: str) -> None:
    if not is_synced_path(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing to delete {relative!r}: not in a synced set")
    (data_dir / relative).unlink(missing_ok=True)
