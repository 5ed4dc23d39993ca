"""A request body received into a file: exactly the Content-Length bytes, or no file at all.

A client that goes away mid-upload shows as a read that returns less than announced (b"" at
the end of what arrived) or one that raises (connection reset, socket timeout). Either way
the partial file is deleted and UploadCut says how far the upload got. waitress buffers a
whole body before the application sees it, so under it a cut upload does not get here; the
count against Content-Length holds with any server.
"""

from __future__ import annotations

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


def receive(body: Readable, length: int, target: Path) -> None:
    """Copies `length` bytes of body into target (created or emptied); UploadCut when fewer
    arrive, UploadError when they cannot be stored. On any error target is gone."""
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
