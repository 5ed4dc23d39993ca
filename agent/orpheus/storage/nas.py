"""A NAS as a storage target: an NFS export (v4) or an SMB/CIFS share, mounted by the agent
as a transient systemd mount unit (mounts.py) under `<mount_root>/nas-<word>`.

Everything the admin gives is checked against strict patterns before it goes near a mount:
the host is a hostname or an IPv4 address, the export or share a plain path (no spaces, no
commas, no `..`), so nothing can add a mount option or another source. An SMB password is
kept only in a root-only file (`<state_dir>/nas/<name>.credentials`, 0600 in a 0700
folder) handed to mount.cifs as `credentials=<path>`: never on a command line, in the
settings file, the API's answers, the audit log or a unit's properties.

A dead or slow NAS must never block the agent: both kinds are mounted `soft` with bounded
timeouts (an operation fails with EIO instead of hanging), the mount unit has a timeout, and
the target's figures (statvfs, the recordings' count) are measured in a worker thread with a
bound and cached (BoundedMeasure): the API answers from the cache, and a measure that does
not come back in time makes the target `unreachable`.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from orpheus import files
from orpheus.recordings.store import RecordingStore

NasKind = Literal["nfs", "smb"]
NAS_KINDS = ("nfs", "smb")
NAS_NAME_PATTERN = r"nas-[0-9a-z][0-9a-z-]{0,39}"
_NAME = re.compile(NAS_NAME_PATTERN)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_PATTERN = rf"{_LABEL}(?:\.{_LABEL})*"
_HOST = re.compile(HOST_PATTERN)
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}"
EXPORT_PATTERN = rf"/(?:{_SEGMENT}(?:/{_SEGMENT}){{0,15}})?"
SHARE_PATTERN = rf"{_SEGMENT}(?:/{_SEGMENT}){{0,15}}"
USERNAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}"
DOMAIN_PATTERN = r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}"
_EXPORT, _SHARE = re.compile(EXPORT_PATTERN), re.compile(SHARE_PATTERN)
_USERNAME, _DOMAIN = re.compile(USERNAME_PATTERN), re.compile(DOMAIN_PATTERN)
MAX_PASSWORD = 256
MAX_PORT = 65535

CREDENTIALS_DIR = "nas"


class BadNas(ValueError):
    """A NAS declaration refused (a hostile or malformed field); one line, no secret."""


@dataclass(frozen=True)
class NasSpec:
    name: str
    kind: NasKind
    host: str
    share: str  # the NFS export (/srv/rec) or the SMB share and folder (rec or rec/pbx)
    username: str = ""
    domain: str = ""
    port: int | None = None  # the server's TCP port; None: the protocol's (2049, 445)

    @property
    def source(self) -> str:
        return f"{self.host}:{self.share}" if self.kind == "nfs" else f"//{self.host}/{self.share}"

    @property
    def fs_type(self) -> str:
        return "nfs" if self.kind == "nfs" else "cifs"

    def as_settings(self) -> dict[str, str | int]:
        """What storage.json keeps (never a password); the port only when one is set."""
        kept: dict[str, str | int] = {"kind": self.kind, "host": self.host, "share": self.share}
        if self.kind == "smb":
            kept |= {"username": self.username, "domain": self.domain}
        if self.port is not None:
            kept["port"] = self.port
        return kept


def _checked(pattern: re.Pattern[str], value: object, what: str) -> str:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        shown = value[:64] if isinstance(value, str) else type(value).__name__
        raise BadNas(f"not a valid {what}: {shown!r}")
    return value


def check_host(host: object) -> str:
    """A hostname or an IPv4 address: nothing else (no comma, space, option or port)."""
    text = _checked(_HOST, host, "NAS host (a hostname or an IPv4 address)")
    if len(text) > 253:
        raise BadNas("not a valid NAS host: longer than 253 characters")
    if text.replace(".", "").isdigit():  # all digits: it must be an IPv4 address
        try:
            ipaddress.IPv4Address(text)
        except ValueError as error:
            raise BadNas(f"not a valid IPv4 address: {text!r}") from error
    return text


def check_port(port: object) -> int | None:
    """The server's TCP port: an integer 1 to 65535 (not a bool, not a string); None or
    absent: the protocol's own."""
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port <= MAX_PORT:
        shown = repr(port)[:32]
        raise BadNas(f"not a valid NAS port (an integer 1 to {MAX_PORT}): {shown}")
    return port


def _no_dots(path: str, what: str) -> str:
    if any(part in (".", "..") for part in path.split("/")):
        raise BadNas(f"not a valid {what}: {path[:64]!r} ('.' or '..' in it)")
    return path


def nas_spec(name: object, fields: dict[str, Any]) -> NasSpec:
    """A NAS declaration from the API's body (or storage.json), every field checked."""
    checked_name = _checked(_NAME, name, "NAS name (nas-<word>: a-z, 0-9, '-')")
    kind = fields.get("kind")
    if kind not in NAS_KINDS:
        raise BadNas("a NAS's kind is nfs or smb")
    host = check_host(fields.get("host"))
    port = check_port(fields.get("port"))
    if kind == "nfs":
        share = _no_dots(_checked(_EXPORT, fields.get("share"), "NFS export"), "NFS export")
        return NasSpec(checked_name, "nfs", host, share, port=port)
    share = _no_dots(_checked(_SHARE, fields.get("share"), "SMB share"), "SMB share")
    username = _checked(_USERNAME, fields.get("username"), "SMB username")
    domain = fields.get("domain") or ""
    if domain:
        domain = _checked(_DOMAIN, domain, "SMB domain")
    return NasSpec(checked_name, "smb", host, share, username, domain, port)


def check_password(password: object) -> str:
    """The SMB password: 1 to 256 characters, no line break or NUL (the credentials file
    is one setting per line)."""
    if not isinstance(password, str) or not 0 < len(password) <= MAX_PASSWORD:
        raise BadNas(f"an SMB password is 1 to {MAX_PASSWORD} characters")
    if any(c in password for c in "\n\r\x00"):
        raise BadNas("an SMB password cannot hold a line break or a NUL character")
    return password


class Credentials:
    """The SMB credentials files: `<directory>/<name>.credentials`, root-only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        return self.directory / f"{_checked(_NAME, name, 'NAS name')}.credentials"

    def write(self, spec: NasSpec, password: str) -> Path:
        check_password(password)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        lines = [f"username={spec.username}", f"password={password}"]
        if spec.domain:
            lines.append(f"domain={spec.domain}")
        path = self.path(spec.name)
        files.write_file(path, "\n".join(lines) + "\n", mode=0o600)
        return path

    def remove(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


Measure = Callable[[], dict[str, Any]]


class BoundedMeasure:
    """A target's measure (statvfs, the recordings' folder) run in a worker thread and
    cached: `get()` waits (at most `wait_seconds`) only when nothing is cached yet; else it
    answers the last result and a worker refreshes it behind. A result younger than
    `fresh_seconds` is reused; a worker still out after `timeout_seconds` makes the answer
    unreachable (one worker at a time: a hung call holds one thread, never more)."""

    def __init__(
        self,
        measure: Measure,
        unreachable: Callable[[str], dict[str, Any]],
        *,
        wait_seconds: float = 0.5,
        timeout_seconds: float = 5.0,
        fresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._measure = measure
        self._unreachable = unreachable
        self._wait = wait_seconds
        self._timeout = timeout_seconds
        self._fresh = fresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: dict[str, Any] | None = None
        self._cached_at = 0.0
        self._worker: threading.Thread | None = None
        self._started_at = 0.0
        self._done = threading.Event()

    def forget(self) -> None:
        """A new mount: the next get() measures again."""
        with self._lock:
            self._cached_at = -1e18

    def get(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached_at < self._fresh:
                return self._cached
            started_now = self._worker is None
            if started_now:
                self._done = threading.Event()
                self._started_at = now
                self._worker = threading.Thread(target=self._run, name="nas-measure", daemon=True)
                self._worker.start()
            done, started = self._done, self._started_at
        if started_now and self._cached is None:  # else the last answer, refreshed behind
            done.wait(self._wait)
        with self._lock:
            if done.is_set() and self._cached is not None:
                return self._cached
            late = self._clock() - started
            if self._cached is not None and late < self._timeout:
                return self._cached
            return self._unreachable(f"the NAS does not answer (no answer for {late:.0f} s)")

    def _run(self) -> None:
        try:
            result = self._measure()
        except Exception as error:  # noqa: BLE001 - any failure is an unreachable target
            result = self._unreachable(f"measure failed: {error}")
        with self._lock:
            self._cached, self._cached_at = result, self._clock()
            self._worker = None
            self._done.set()


_T = TypeVar("_T")


class BoundedStore(RecordingStore):
    """A NAS's recordings as the request paths read them (the recordings list, one
    recording's facts, the CDR's fields): each call in a worker thread, bounded; a NAS that
    does not answer in time is an OSError (ETIMEDOUT), which those paths already treat as a
    target gone. While a call is still out, the next ones fail at once (one thread held)."""

    def __init__(self, directory: Path, timeout_seconds: float = 2.0) -> None:
        super().__init__(directory)
        self._timeout = timeout_seconds

    def recordings(self) -> list[dict[str, Any]]:
        return self._bounded(super().recordings)

    def get(self, recording_id: str) -> dict[str, Any]:
        return self._bounded(lambda: RecordingStore.get(self, recording_id))

    def annotate(self, recording_id: str, fields: dict[str, Any]) -> None:
        self._bounded(lambda: RecordingStore.annotate(self, recording_id, fields))

    def _bounded(self, call: Callable[[], _T]) -> _T:
        started = time.monotonic()
        with _OUT_LOCK:
            turn = _OUT.setdefault(self.directory, threading.Lock())
        # One call out per NAS: the next ones wait their turn within the same bound (several
        # CDRs of one call arrive together), and fail once a hung call holds it too long.
        if not turn.acquire(timeout=self._timeout):
            raise OSError(errno.ETIMEDOUT, f"{self.directory}: the NAS does not answer")
        answer: list[_T] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def run() -> None:
            try:
                answer.append(call())
            except BaseException as error:  # noqa: BLE001 - raised again on the caller's side
                failure.append(error)
            finally:
                turn.release()
                done.set()

        threading.Thread(target=run, name="nas-read", daemon=True).start()
        left = max(0.0, self._timeout - (time.monotonic() - started))
        if not done.wait(left):
            raise OSError(errno.ETIMEDOUT, f"{self.directory}: the NAS does not answer")
        if failure:
            raise failure[0]
        return answer[0]


_OUT: dict[Path, threading.Lock] = {}  # per NAS folder: held while a bounded call is out
_OUT_LOCK = threading.Lock()
