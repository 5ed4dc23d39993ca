"""The one way the agent writes its files: atomically, with owner and mode from the start.

A file is written under a random temporary name beside its target (O_CREAT|O_EXCL|O_NOFOLLOW:
a symlink planted there is never followed), its owner and mode are set on the descriptor
before any data is in it, the data is written and fsynced, the temporary file is renamed over
the target and the directory is fsynced. A failure removes the temporary file and leaves the
target as it was.

Files that must change together go through a FileGroup: every file is staged first (written
and fsynced under its temporary name, the file it replaces kept as a hard link), then all are
renamed; until the group is finished the previous contents (or their absence) can be put
back, by renames only, which need no free space.

A full disk (ENOSPC, EDQUOT, SQLite's SQLITE_FULL) raises DiskFull, one line naming the file.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_NAME_ATTEMPTS = 8
_UNCHANGED = -1  # fchown: leave this id as it is


class DiskFull(OSError):
    """The disk holding a file the agent writes is full; nothing was changed."""

    def __init__(self, what: Path | str) -> None:
        super().__init__(errno.ENOSPC, f"disk full: could not write {what}")
        self.what = str(what)

    def __str__(self) -> str:
        return str(self.strerror)


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return error.errno in DISK_FULL_ERRNOS
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return False


@contextmanager
def disk_full_as(what: Path | str) -> Iterator[None]:
    """Turns a full-disk error in the block (OSError or SQLite) into DiskFull naming `what`."""
    try:
        yield
    except DiskFull:
        raise
    except (OSError, sqlite3.Error) as error:
        if is_disk_full(error):
            raise DiskFull(what) from error
        raise


def _temporary_name(target: Path) -> str:
    return f".{target.name}.{secrets.token_hex(8)}.tmp"


_TEMPORARY = re.compile(r"\.(?P<target>.+)\.[0-9a-f]{16}\.tmp")


def is_temporary(name: str) -> bool:
    """A staged file or backup of this module (scans of a directory leave them out)."""
    return _TEMPORARY.fullmatch(name) is not None


def temporary_target(name: str) -> str | None:
    """The name of the file a staged file of this module was for (a crash left it), or None."""
    found = _TEMPORARY.fullmatch(name)
    return found["target"] if found else None


def _uid(owner: str | int | None) -> int:
    if owner is None:
        return _UNCHANGED
    return owner if isinstance(owner, int) else pwd.getpwnam(owner).pw_uid


def _gid(group: str | int | None) -> int:
    if group is None:
        return _UNCHANGED
    return group if isinstance(group, int) else grp.getgrnam(group).gr_gid


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new temporary file in the target's directory; never an existing file or symlink."""
    for _ in range(_NAME_ATTEMPTS):
        temporary = target.with_name(_temporary_name(target))
        try:
            return temporary, os.open(temporary, _CREATE_FLAGS, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name beside {target}")


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


def stage(
    path: Path,
    data: bytes | str,
    *,
    mode: int,
    owner: str | int | None = None,
    group: str | int | None = None,
) -> Path:
    """Writes data under a temporary name beside path (owner, mode, data, fsync); returns it."""
    uid, gid = _uid(owner), _gid(group)
    with disk_full_as(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary, descriptor = _create_beside(path)
        try:
            try:
                if (uid, gid) != (_UNCHANGED, _UNCHANGED):
                    os.fchown(descriptor, uid, gid)
                os.fchmod(descriptor, mode)  # after fchown, which may clear set-id bits
                _write_all(descriptor, _as_bytes(data))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    return temporary


def write_file(
    path: Path,
    data: bytes | str,
    *,
    mode: int,
    owner: str | int | None = None,
    group: str | int | None = None,
) -> None:
    """Replaces path atomically: a crash or an error leaves the old file or the new one.

    owner and group (name or id) default to the writing process's; mode is always set."""
    temporary = stage(path, data, mode=mode, owner=owner, group=group)
    try:
        with disk_full_as(path):
            temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    with disk_full_as(path):
        _fsync_directory(path.parent)


@dataclass
class _Change:
    target: Path
    staged: Path | None  # None: the target is to be removed
    backup: Path | None  # a hard link to the file replaced; None: there was none
    done: bool = False


def _link_beside(target: Path) -> Path | None:
    """A hard link to target under a temporary name (costs no data blocks); None if absent."""
    for _ in range(_NAME_ATTEMPTS):
        backup = target.with_name(_temporary_name(target))
        try:
            os.link(target, backup, follow_symlinks=False)
            return backup
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
    raise FileExistsError(errno.EEXIST, f"no free temporary name beside {target}")


class FileGroup:
    """Files that change together, all or nothing.

        with FileGroup() as files:
            files.write(a, ...); files.write(b, ...); files.delete(c)   # staged
            files.commit()                                              # all renamed
            ...later steps (reload, store commit)...
        # leaving the block normally keeps the change; an exception puts back every file

    rollback() may also be called explicitly (e.g. Asterisk refused the files)."""

    def __init__(self) -> None:
        self._changes: list[_Change] = []
        self._committed = False

    def __enter__(self) -> FileGroup:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.finish()
        else:
            self.rollback()

    @property
    def paths(self) -> list[Path]:
        return [change.target for change in self._changes]

    def write(
        self,
        path: Path,
        data: bytes | str,
        *,
        mode: int,
        owner: str | int | None = None,
        group: str | int | None = None,
    ) -> None:
        """Stages path's new content; nothing is visible until commit()."""
        self._stage(path, stage(path, data, mode=mode, owner=owner, group=group))

    def delete(self, path: Path) -> None:
        """Stages the removal of path (nothing happens if it does not exist)."""
        self._stage(path, None)

    def _stage(self, path: Path, staged: Path | None) -> None:
        if self._committed:
            raise RuntimeError("FileGroup: staging after commit")
        try:
            with disk_full_as(path):
                backup = _link_beside(path)
        except BaseException:
            if staged is not None:
                staged.unlink(missing_ok=True)
            raise
        self._changes.append(_Change(path, staged, backup))

    def commit(self) -> None:
        """Renames every staged file over its target; on a failure puts back those done."""
        self._committed = True
        try:
            for change in self._changes:
                with disk_full_as(change.target):
                    if change.staged is not None:
                        change.staged.replace(change.target)
                    else:
                        change.target.unlink(missing_ok=True)
                change.done = True
            self._sync_directories()
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Puts back the previous content (or absence) of every file; drops staged files."""
        for change in reversed(self._changes):
            if change.done:
                if change.backup is not None:
                    change.backup.replace(change.target)
                    change.backup = None
                else:
                    change.target.unlink(missing_ok=True)
            elif change.staged is not None:
                change.staged.unlink(missing_ok=True)
        self._drop_backups()
        with suppress(OSError):  # best effort: the renames themselves are done
            self._sync_directories()
        self._changes = []

    def finish(self) -> None:
        """Keeps the change: forgets what would have put the previous files back."""
        if not self._committed and self._changes:
            self.rollback()  # staged but never committed: nothing may be left behind
            return
        self._drop_backups()
        self._changes = []

    def _drop_backups(self) -> None:
        for change in self._changes:
            if change.backup is not None:
                change.backup.unlink(missing_ok=True)
                change.backup = None

    def _sync_directories(self) -> None:
        for directory in sorted({change.target.parent for change in self._changes}):
            _fsync_directory(directory)
