"""What configuration sync carries: named sets of files under the data partition.

A new store joins the sync by adding one FileSet here. SQLite databases are read through
SQLite (a consistent snapshot even while they are being written), everything else as bytes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import posixpath
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orpheus.files import FileGroup, disk_full_as, is_temporary

log = logging.getLogger(__name__)

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
NEW_FILE_MODE = 0o644  # as synced files were written before (root, umask 022)


@dataclass(frozen=True)
class FileSet:
    name: str
    directory: str  # relative to the data partition
    include: tuple[str, ...] = ("*",)  # fnmatch patterns on the path relative to directory
    exclude: tuple[str, ...] = ()  # node-local files inside the set
    # A file new on this side: this mode, owned like its directory when not NEW_FILE_MODE.
    new_file_mode: int = NEW_FILE_MODE

    def holds(self, inner: str) -> bool:
        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatch(inner, pattern) for pattern in patterns)

        return matches(self.include) and not matches(self.exclude)


# Order matters only for reading: every set is synced as a whole at each generation.
FILE_SETS = (
    FileSet("pbx-store", "orpheus", ("pbx.sqlite",)),  # the agent's PBX store (SQLite)
    # Third-party AMI accounts, secrets included (root's only): they log in on the VIP.
    FileSet("ami-accounts", "orpheus", ("ami-users.json",), new_file_mode=0o600),
    # manager.conf carries this unit's own AMI secret (orpheus/ami-secret, not synced), the
    # SIP ACL this unit's own access lists (orpheus/firewall.json, not synced either).
    # Licences are not synced: each is bound to its unit's hardware. hep.conf is on only
    # while this unit's own capture runs (capture/hep_asterisk.py). cdr.conf,
    # cdr_manager.conf and cdr_custom.conf are rendered by each unit's agent
    # (cdr/asterisk_side.py).
    # Asterisk's files hold SIP passwords and the SIP TLS key (pjsip-tls/, a new name for
    # each pair): a new one lands 0640, owned like its directory, as the PBX writes them.
    FileSet(
        "asterisk-config",
        "etc/asterisk",
        exclude=(
            "manager.conf",
            "pjsip.d/orpheus-acl.conf",
            "hep.conf",
            "cdr.conf",
            "cdr_manager.conf",
            "cdr_custom.conf",
        ),
        new_file_mode=0o640,
    ),
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


def is_canonical(relative: str) -> bool:
    """One spelling per file: no `.`, `..`, `//`, leading `/` or NUL (so that a path spelt
    otherwise, etc/asterisk/./manager.conf, cannot slip past an exclusion)."""
    return (
        bool(relative)
        and "\x00" not in relative
        and not relative.startswith("/")
        and posixpath.normpath(relative) == relative
        and ".." not in relative.split("/")
    )


def is_synced_path(relative: str, sets: tuple[FileSet, ...] = FILE_SETS) -> bool:
    return synced_set(relative, sets) is not None


def synced_set(relative: str, sets: tuple[FileSet, ...] = FILE_SETS) -> FileSet | None:
    """The set that syncs the path, if any."""
    if not is_canonical(relative):
        return None
    for file_set in sets:
        prefix = file_set.directory + "/"
        if relative.startswith(prefix) and file_set.holds(relative[len(prefix) :]):
            return file_set
    return None


def stamps(data_dir: Path, sets: tuple[FileSet, ...] = FILE_SETS) -> Stamps:
    found: Stamps = {}
    for file_set in sets:
        top = data_dir / file_set.directory
        for dirpath, _dirnames, filenames in os.walk(top):
            for filename in filenames:
                if filename.startswith(".orpheus-sync-") or is_temporary(filename):
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


def _refuse_unsynced(relative: str, verb: str) -> None:
    if not is_synced_path(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing to {verb} {relative!r}: not in a synced set")


def _attributes(path: Path, relative: str) -> tuple[int, int | None, int | None]:
    """Mode and owner of the file being replaced; a new file has its set's new_file_mode,
    0644 the agent's (root's) by default."""
    try:
        info = path.stat()
    except FileNotFoundError:
        file_set = synced_set(relative)
        mode = file_set.new_file_mode if file_set is not None else NEW_FILE_MODE
        if mode == NEW_FILE_MODE:
            return mode, None, None
        top = path.parent
        while not top.exists():  # the first directory that exists: the new one is made so
            top = top.parent
        owner = top.stat()
        return mode, owner.st_uid, owner.st_gid
    return stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


@contextmanager
def landing(
    data_dir: Path, writes: Mapping[str, bytes], deletions: Iterable[str] = ()
) -> Iterator[None]:
    """Writes and deletes the files of one push, all or nothing: every file is staged, a live
    SQLite store is copied into (one transaction), then all are renamed into place. A failure
    (a full disk: DiskFull), here or in the block, puts every file back as it was."""
    deletions = list(deletions)
    for relative in writes:
        _refuse_unsynced(relative, "write")
    for relative in deletions:
        _refuse_unsynced(relative, "delete")
    databases = [r for r in writes if r.endswith(SQLITE_SUFFIXES) and (data_dir / r).exists()]
    with FileGroup() as group:
        for relative, content in writes.items():
            if relative not in databases:
                path = data_dir / relative
                mode, owner, owner_group = _attributes(path, relative)
                group.write(path, content, mode=mode, owner=owner, group=owner_group)
        for relative in deletions:
            group.delete(data_dir / relative)
        previous = {relative: read_content(data_dir, relative) for relative in databases}
        restored: list[str] = []
        try:
            for relative in databases:
                _restore_sqlite(data_dir / relative, writes[relative])
                restored.append(relative)
            group.commit()
            yield
        except BaseException:
            for relative in restored:
                _put_back_sqlite(data_dir / relative, previous[relative])
            raise


def write_content(data_dir: Path, relative: str, content: bytes) -> None:
    """Atomic replace: readers see the old file or the new one, never half of it."""
    with landing(data_dir, {relative: content}):
        pass


def _put_back_sqlite(path: Path, content: bytes) -> None:
    try:
        _restore_sqlite(path, content)
    except (OSError, sqlite3.Error):  # the landing's own error is the one to report
        log.exception("putting back %s after a failed landing", path)


def _restore_sqlite(path: Path, content: bytes) -> None:
    """Into the live database (same file, one transaction): open connections see the copy."""
    source = sqlite3.connect(":memory:")
    try:
        source.deserialize(content)
        target = sqlite3.connect(path, timeout=10)
        try:
            with disk_full_as(path):
                source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def delete(data_dir: Path, relative: str) -> None:
    with landing(data_dir, {}, [relative]):
        pass
