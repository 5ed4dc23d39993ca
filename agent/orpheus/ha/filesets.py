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


# Order matters only for reading: every set is synced as a whole at each generation.
FILE_SETS = (
    FileSet("pbx-store", "orpheus/pbx"),  # the agent's PBX store (SQLite)
    FileSet("licences", "orpheus/licences"),
    FileSet("asterisk-config", "etc/asterisk"),
    FileSet(
        "voicemail-greetings",
        "asterisk/spool/voicemail",
        ("*/*/greet.*", "*/*/unavail.*", "*/*/busy.*", "*/*/temp.*", "*/*/name.*"),
    ),
    FileSet("prompts", "asterisk/sounds/custom"),
)

# path relative to the data partition -> (size, mtime_ns): cheap change detection
Stamps = dict[str, tuple[int, int]]
# path relative to the data partition -> sha256 hex: what both sides compare
Manifest = dict[str, str]


def is_synced_path(relative: str, sets: tuple[FileSet, ...] = FILE_SETS) -> bool:
    for file_set in sets:
        prefix = file_set.directory + "/"
        if relative.startswith(prefix):
            inner = relative[len(prefix) :]
            if any(fnmatch.fnmatch(inner, pattern) for pattern in file_set.include):
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
                if not any(fnmatch.fnmatch(inner, pattern) for pattern in file_set.include):
                    continue
                try:
                    info = path.stat()
                except FileNotFoundError:
                    continue
                found[f"{file_set.directory}/{inner}"] = (info.st_size, info.st_mtime_ns)
    return found


def read_content(data_dir: Path, relative: str) -> bytes:
    path = data_dir / relative
    if path.suffix in SQLITE_SUFFIXES:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return connection.serialize()
    return path.read_bytes()


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write_content(data_dir: Path, relative: str, content: bytes) -> None:
    """Atomic replace: readers see the old file or the new one, never half of it."""
    if not is_synced_path(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing to write {relative!r}: not in a synced set")
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".orpheus-sync-{path.name}")
    tmp.write_bytes(content)
    tmp.replace(path)


def delete(data_dir: Path, relative: str) -> None:
    if not is_synced_path(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing to delete {relative!r}: not in a synced set")
    (data_dir / relative).unlink(missing_ok=True)
