"""Receiving an upload into a file: whole, or nothing left behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from orpheus.api import upload


class CutStream:
    """A request body whose client goes away after `after` bytes: the read then returns
    nothing (the end of what arrived) or raises, as a socket would."""

    def __init__(self, data: bytes, after: int, error: BaseException | None = None) -> None:
        self._data = io.BytesIO(data[:after])
        self._error = error

    def read(self, size: int, /) -> bytes:
        chunk = self._data.read(size)
        if not chunk and self._error is not None:
            raise self._error
        return chunk


def test_the_whole_body_lands_in_the_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # over two chunks
    target = tmp_path / "upload.raucb"
    target.write_bytes(b"an older upload, longer than nothing" * 100000)
    upload.receive(io.BytesIO(data + b"next request"), len(data), target)
    assert target.read_bytes() == data


def test_a_body_that_ends_early_is_cut_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "upload.raucb"
    with pytest.raises(upload.UploadCut, match=r"^upload cut after 2000000 of 3000000 bytes$"):
        upload.receive(CutStream(b"x" * 3_000_000, 2_000_000), 3_000_000, target)
    assert not target.exists()


def test_a_read_that_raises_is_cut_with_its_reason_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "upload.raucb"
    reset = ConnectionResetError(104, "Connection reset by peer")
    with pytest.raises(upload.UploadCut) as cut:
        upload.receive(CutStream(b"x" * 100, 40, reset), 100, target)
    assert (
        str(cut.value) == "upload cut after 40 of 100 bytes: [Errno 104] Connection reset by peer"
    )
    assert (cut.value.received, cut.value.expected) == (40, 100)
    with pytest.raises(upload.UploadCut, match=r"after 0 of 100 bytes: TimeoutError"):
        upload.receive(CutStream(b"", 0, TimeoutError()), 100, target)
    assert not target.exists()


def test_any_other_error_leaves_no_file_either(tmp_path: Path) -> None:
    target = tmp_path / "upload.raucb"
    with pytest.raises(RuntimeError):
        upload.receive(CutStream(b"x" * 100, 10, RuntimeError("bug")), 100, target)
    assert not target.exists()


def test_a_body_spooled_on_the_same_filesystem_is_linked_not_copied(tmp_path: Path) -> None:
    import tempfile

    data = b"bundle" * 100_000
    target = tmp_path / "update/upload.raucb"
    target.parent.mkdir()
    with tempfile.NamedTemporaryFile("w+b", dir=tmp_path, prefix="body-") as spooled:
        spooled.write(data)
        spooled.seek(0)
        upload.receive(spooled, len(data), target)
        assert target.stat().st_ino == Path(spooled.name).stat().st_ino  # one file, two names
    assert target.read_bytes() == data  # still whole once the server removed its spool file
    assert not list(tmp_path.glob("body-*"))


def test_a_spooled_body_of_another_length_is_not_taken_over(tmp_path: Path) -> None:
    import tempfile

    target = tmp_path / "upload.raucb"
    with tempfile.NamedTemporaryFile("w+b", dir=tmp_path) as spooled:
        spooled.write(b"x" * 100)
        spooled.seek(0)
        assert upload.spooled_beside(spooled, 99, target) is None
        with pytest.raises(upload.UploadError):
            upload.receive(spooled, 200, target)  # fewer bytes than announced: cut
    assert not target.exists()
