"""A request body received into a file: exactly the Content-Length bytes, or no file at all.

A client that goes away mid-upload shows as a read that returns less than announced (b"" at
the end of what arrived) or one that raises (connection reset, socket timeout). Either way
the partial file is deleted and UploadCut says how far the upload got. waitress buffers a
whole body before the application sees it, so under it a cut upload does not get here; the
count against Content-Length holds with any server.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class UploadError(Exception):
    """The upload did not end up whole in its file; the message is for the admin."""


class UploadCut(UploadError):
    def __init__(self, received: int, expected: int, reason: str = "") -> None:
        detail = f": {reason}" if reason else ""
        super().__init__(f"upload cut after {received} of {expected} bytes{detail}")
        self.received = received
        self.expected = expected


def spooled_beside(body: object, length: int, target: Path) -> Path | None:
    """The file the server spooled the whole body into, when it is on target's filesystem:
    it can then become target by a hard link, with no copy and no second copy's space."""
    name = getattr(body, "name", None)
    if not isinstance(name, str) or not name.startswith("/"):
        return None
    try:
        spooled = Path(name).stat()
        here = target.parent.stat()
    except OSError:
        return None
    if not stat.S_ISREG(spooled.st_mode) or spooled.st_size != length:
        return None
    return Path(name) if spooled.st_dev == here.st_dev else None


def receive(body: Readable, length: int, target: Path) -> None:
    """Puts `length` bytes of body into target (created or replaced): the server's spooled file
    linked into place when it can be, else copied; UploadCut when fewer arrive, UploadError
    when they cannot be stored. On any error target is gone."""
    spooled = spooled_beside(body, length, target)
    if spooled is not None:
        flush = getattr(body, "flush", None)
        if callable(flush):
            flush()
        target.unlink(missing_ok=True)
        try:
            target.hardlink_to(spooled)
            return
        except OSError:
            pass  # e.g. a filesystem without hard links: copy as any other body
    try:
        with target.open("wb") as handle:
            _copy(body, length, handle, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _copy(body: Readable, length: int, handle: BinaryIO, target: Path) -> None:
    received = 0
    while received < length:
        try:
            chunk = body.read(min(CHUNK, length - received))
        except (OSError, ValueError) as error:  # reset, timeout, a closed input
            raise UploadCut(received, length, str(error) or type(error).__name__) from error
        if not chunk:
            raise UploadCut(received, length)
        try:
            handle.write(chunk)
        except OSError as error:
            raise UploadError(
                f"cannot store the upload in {target} after {received} of {length} bytes: "
                f"{error.strerror or error}"
            ) from error
        received += len(chunk)
