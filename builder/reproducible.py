"""What makes two builds of one commit bit-identical: times clamped to the build's epoch.

The base's package files keep their own (older) times; everything this build or dpkg wrote
later carries SOURCE_DATE_EPOCH (the commit's time by default), as reproducible-builds.org's
"clamp" does, so the file system images made from the tree do not record when it was built.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from builder.errors import BuildError
from builder.run import run

NS = 1_000_000_000


def clamp_times(root: Path, epoch: int) -> int:
    """Every time after the build's epoch is set to it (the reproducible-builds "clamp"): the
    files laid by this build and those dpkg wrote into the base then carry the commit's time,
    not the hour they were built. Older times (the packages' own files) are kept. Returns how
    many entries were clamped; run last, as any later change moves a directory's time again."""
    clamped = 0
    for directory, names, files in os.walk(root, topdown=False):
        here = Path(directory)
        entries = [here / name for name in [*files, *names]]
        for path in [*entries, root] if here == root else entries:
            info = path.lstat()
            if info.st_mtime > epoch or info.st_atime > epoch:
                # Each time on its own: a file only read since (its access time moved) keeps
                # the modification time its package gave it.
                times = (min(info.st_atime_ns, epoch * NS), min(info.st_mtime_ns, epoch * NS))
                os.utime(path, ns=times, follow_symlinks=False)
                clamped += 1
    return clamped


def _debugfs_path(path: str) -> str:
    if any(char in path for char in '"\n\\'):
        raise BuildError(f"{path!r}: a name debugfs cannot quote; the image would not reproduce")
    return f'"{path}"'


def _mtime(root: Path, path: str, epoch: int) -> int:
    """The entry's modification time, never after the epoch (clamp_times set it so)."""
    return min(int(os.lstat(root / path.lstrip("/")).st_mtime), epoch)


def set_inode_times(image: Path, root: Path, epoch: int) -> None:
    """Every inode's change and access time in the ext4 image set to its modification time.

    mke2fs -d copies each file's ctime, which nothing but the clock sets on the build host,
    and its atime, which any read moves: debugfs rewrites both, under E2FSPROGS_FAKE_TIME so
    that its own write does not date the superblock either. (mke2fs 1.47.0 has no option for
    this; 1.47.1 and later also build from a tar with SOURCE_DATE_EPOCH.) The modification
    time rather than the epoch: a package's files keep theirs from release to release, so a
    patch release leaves their inodes, and the blocks of the inode table, as they were."""
    paths = ["/"] + [
        "/" + str((Path(directory) / name).relative_to(root))
        for directory, names, files in os.walk(root)
        for name in [*names, *files]
    ]
    script = "".join(
        f"sif {_debugfs_path(path)} {field} @{_mtime(root, path, epoch)}\n"
        for path in sorted(paths)
        for field in ("ctime", "atime")
    )
    with tempfile.NamedTemporaryFile("w", suffix=".debugfs") as commands:
        commands.write(script)
        commands.flush()
        env = {**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch)}
        run(["debugfs", "-w", "-f", commands.name, image], env=env)


def _entry(path: Path) -> tuple[object, ...]:
    info = path.lstat()
    if stat.S_ISREG(info.st_mode):
        content: str = hashlib.sha256(path.read_bytes()).hexdigest()
    elif stat.S_ISLNK(info.st_mode):
        content = str(path.readlink())
    else:
        content = ""
    return info.st_mode, info.st_uid, info.st_gid, int(info.st_mtime), content


def tree_differences(first: Path, second: Path, limit: int = 20) -> list[str]:
    """The first entries (sorted by path) that differ between two trees, each saying how."""

    def entries(root: Path) -> dict[str, tuple[object, ...]]:
        found = {}
        for directory, names, files in os.walk(root):
            for name in [*names, *files]:
                path = Path(directory) / name
                found[str(path.relative_to(root))] = _entry(path)
        return found

    left, right = entries(first), entries(second)
    fields = ("mode", "owner", "group", "time", "content")
    differences = []
    for name in sorted(left.keys() | right.keys()):
        a, b = left.get(name), right.get(name)
        if a == b:
            continue
        if a is None or b is None:
            differences.append(f"{name}: only in {first if b is None else second}")
        else:
            differences.append(
                f"{name}: {', '.join(f for f, x, y in zip(fields, a, b, strict=True) if x != y)}"
            )
        if len(differences) >= limit:
            break
    return differences


def file_digest(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()
