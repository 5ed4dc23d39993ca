"""A USB volume's filesystem checked before it is mounted: its own checker in its safe,
unattended repair mode (runner.py: an argument list, a bounded timeout), never on a mounted
filesystem, and the outcome read from its exit code.

- ext4: `e2fsck -p` (preen: a clean filesystem is not walked, an unclean one is, and only
  the fixes that need no answer are made). Its exit code is a sum: 0 clean, 1 fixed, 2
  fixed and "reboot" (the root filesystem's case; a drive is not it: fixed), 4 errors left,
  8 operational error, 16 usage, 32 cancelled, 128 library error.
- vfat: `fsck.vfat -a` (automatic repair) exits 1 both when it fixed something and when
  errors are left, so a second `fsck.vfat -n` (check only) tells them apart: 0 fixed, else
  errors left. 2 is a usage error (the filesystem was not touched).
- exFAT: `fsck.exfat -p` (preen), with e2fsck's exit codes (exfatprogs' fsck.h).

The result: `clean` or `fixed` mount read-write; `errors` (left uncorrected) and `failed`
(the checker timed out, was missing or could not work) mount read-only, with an alarm;
`gone` (the drive was pulled out during the check) mounts nothing; `not-checked` is a
volume found mounted already (an agent restart), left as it is.
"""

from __future__ import annotations

import datetime
import errno
import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from orpheus import runner
from orpheus.runner import CommandError, Completed, last_line
from orpheus.storage.devices import UsbVolume

log = logging.getLogger(__name__)

CheckOutcome = Literal["clean", "fixed", "errors", "failed", "gone", "not-checked"]
CHECK_OUTCOMES = ("clean", "fixed", "errors", "failed", "gone", "not-checked")
READ_WRITE_OUTCOMES = frozenset({"clean", "fixed", "not-checked"})
# A 2 TB vfat stick takes minutes to walk; a check that outlives this is killed (read-only).
CHECK_TIMEOUT_SECONDS = 600.0
_DETAIL_CHARS = 200

Run = Callable[..., Completed]  # runner.run's shape: (argv, *, timeout=) -> Completed


@dataclass(frozen=True)
class CheckResult:
    result: CheckOutcome
    detail: str  # one line: what the checker said, or why it could not
    at: str  # ISO 8601, UTC

    @property
    def read_write(self) -> bool:
        return self.result in READ_WRITE_OUTCOMES

    def as_dict(self) -> dict[str, Any]:
        return {"result": self.result, "detail": self.detail, "at": self.at}


class Checker(Protocol):
    def check(self, volume: UsbVolume) -> CheckResult: ...


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def mounted_sources(mounts_file: Path = Path("/proc/self/mounts")) -> frozenset[str]:
    """The real paths of the block devices mounted now (anywhere)."""
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return frozenset()
    sources = (line.split(" ", 1)[0] for line in lines)
    return frozenset(os.path.realpath(s) for s in sources if s.startswith("/dev/"))


def held(path: Path) -> bool:
    """Whether the kernel holds a block device (a mounted filesystem, even one lazily
    unmounted with a file still open on it): an exclusive open is then refused (EBUSY)."""
    try:
        if not stat.S_ISBLK(path.stat().st_mode):
            return False
        descriptor = os.open(path, os.O_RDONLY | os.O_EXCL)
    except OSError as error:
        return error.errno == errno.EBUSY
    os.close(descriptor)
    return False


def repair_argv(fs_type: str, path: Path) -> list[str]:
    """The checker in its unattended repair mode (ValueError for a filesystem without one)."""
    if fs_type == "ext4":
        return ["e2fsck", "-p", str(path)]
    if fs_type == "vfat":
        return ["fsck.vfat", "-a", "-w", str(path)]
    if fs_type == "exfat":
        return ["fsck.exfat", "-p", str(path)]
    raise ValueError(f"no checker for {fs_type}")


def _said(argv: Sequence[str], stdout: str, stderr: str, fallback: str) -> str:
    """The checker's last words, cut to one short line, naming the program."""
    words = last_line(stderr, stdout) or fallback
    return f"{argv[0]}: {words}"[:_DETAIL_CHARS]


class FsckChecker:
    """Checker over the filesystems' own programs (e2fsprogs, dosfstools, exfatprogs)."""

    def __init__(
        self,
        run: Run = runner.run,
        timeout: float = CHECK_TIMEOUT_SECONDS,
        mounted: Callable[[], frozenset[str]] = mounted_sources,
        now: Callable[[], datetime.datetime] = _now,
    ) -> None:
        self._run = run
        self._timeout = timeout
        self._mounted = mounted
        self._now = now

    def check(self, volume: UsbVolume) -> CheckResult:
        """The volume checked through its by-UUID link (the name it is mounted by)."""
        return self.check_path(volume.fs_type, Path(volume.by_uuid))

    def check_path(self, fs_type: str, path: Path) -> CheckResult:
        if not path.exists():
            return self._result("gone", "the drive went away before its check")
        if os.path.realpath(path) in self._mounted() or held(path):
            # Never: a checker writing under a mounted filesystem corrupts it.
            return self._result("failed", "in use (mounted): not checked")
        argv = repair_argv(fs_type, path)
        try:
            done = self._run(argv, timeout=self._timeout)
            return self._result("clean", _said(argv, done.stdout, done.stderr, "clean"))
        except CommandError as error:
            if not path.exists():  # pulled out while the checker ran
                return self._result("gone", "the drive was pulled out during its check")
            if error.returncode is None:  # missing or timed out: str(error) says which
                return self._result("failed", str(error)[:_DETAIL_CHARS])
            if fs_type == "vfat":
                return self._vfat(path, error)
            return self._summed(argv, error)

    def _summed(self, argv: Sequence[str], error: CommandError) -> CheckResult:
        """e2fsck's and fsck.exfat's exit code: a sum of 1, 2, 4, 8, 16, 32, 128."""
        code = error.returncode or 0
        said = _said(argv, error.stdout, error.stderr, f"exit code {code}")
        if code & ~(1 | 2 | 4):  # 8, 16, 32, 128: it could not do its work
            return self._result("failed", f"{said} (exit code {code})")
        if code & 4:
            return self._result("errors", f"errors left uncorrected: {said}")
        return self._result("fixed", f"errors fixed: {said}")

    def _vfat(self, path: Path, error: CommandError) -> CheckResult:
        argv = error.argv
        said = _said(argv, error.stdout, error.stderr, f"exit code {error.returncode}")
        if error.returncode != 1:  # 2: a usage error, the filesystem not accessed
            return self._result("failed", f"{said} (exit code {error.returncode})")
        verify = ["fsck.vfat", "-n", str(path)]
        try:
            self._run(verify, timeout=self._timeout)
        except CommandError as again:
            if not path.exists():
                return self._result("gone", "the drive was pulled out during its check")
            if again.returncode is None:
                return self._result("failed", str(again)[:_DETAIL_CHARS])
            left = _said(verify, again.stdout, again.stderr, f"exit code {again.returncode}")
            return self._result("errors", f"errors left uncorrected: {left}")
        return self._result("fixed", f"errors fixed: {said}")

    def _result(self, outcome: CheckOutcome, detail: str) -> CheckResult:
        return CheckResult(outcome, shown(detail), self._now().isoformat(timespec="seconds"))


def shown(text: str) -> str:
    """A checker's words are the drive's (its file names): printable, one short line."""
    return "".join(c if c.isprintable() else "?" for c in text)[:_DETAIL_CHARS]


def not_checked(reason: str, now: Callable[[], datetime.datetime] = _now) -> CheckResult:
    return CheckResult("not-checked", reason, now().isoformat(timespec="seconds"))
