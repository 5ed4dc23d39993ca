"""The report's archive: parts capped one by one and in all, a tar built in RAM, compressed
by the `zstd` program (through the runner) in a private temporary directory on a tmpfs that
is removed whatever happens: a full data partition never sees a byte of it."""

from __future__ import annotations

import io
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from orpheus import runner

PART_LIMIT = 2 * 1024 * 1024
TOTAL_LIMIT = 20 * 1024 * 1024
CUT_NOTE = b"\n[cut: part over its size limit]\n"


class ReportFailed(RuntimeError):
    """The report could not be made; str() is one line."""


@dataclass
class Archive:
    """The parts of one report; add() caps each part and refuses what the total cannot hold."""

    part_limit: int = PART_LIMIT
    total_limit: int = TOTAL_LIMIT
    parts: dict[str, bytes] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, data: bytes) -> None:
        if len(data) > self.part_limit:
            data = data[: self.part_limit - len(CUT_NOTE)] + CUT_NOTE
        if self.size() + len(data) > self.total_limit:
            self.missing[name] = "left out: the report's total size limit was reached"
            return
        self.parts[name] = data

    def add_missing(self, name: str, reason: str) -> None:
        self.missing[name] = reason

    def size(self) -> int:
        return sum(len(data) for data in self.parts.values())

    def tar(self) -> bytes:
        buffer = io.BytesIO()
        stamp = time.time()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            entries = dict(self.parts)
            if self.missing:
                entries["MISSING.txt"] = "".join(
                    f"{name}: {reason}\n" for name, reason in sorted(self.missing.items())
                ).encode()
            for name, data in sorted(entries.items()):
                info = tarfile.TarInfo(f"report/{name}")
                info.size, info.mtime, info.mode = len(data), int(stamp), 0o600
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()


def compress(tar: bytes, scratch_dir: Path) -> bytes:
    """tar compressed with zstd; the temporary files live and die in scratch_dir (a tmpfs)."""
    try:
        scratch_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="report-", dir=scratch_dir) as work:
            plain, packed = Path(work) / "report.tar", Path(work) / "report.tar.zst"
            plain.write_bytes(tar)
            runner.run(["zstd", "-q", "-19", "-T0", str(plain), "-o", str(packed)], timeout=120)
            return packed.read_bytes()
    except runner.CommandError as error:
        raise ReportFailed(f"cannot compress the report: {error}") from error
    except OSError as error:
        raise ReportFailed(f"cannot write the report's temporary file: {error.strerror}") from error
