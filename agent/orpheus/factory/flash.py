"""`orpheus-factory flash`: a built image onto a unit's disk with bmaptool, checked on the way.

Before anything is written, the image's block map must match the build's SHA256SUMS (the
build's own record of what it made), and the target must pass targets.check_target. bmaptool
then copies only the mapped blocks and verifies each range's SHA-256 as it writes them: an
image whose data does not match its bmap fails the flash. (The image file's own checksum is
not recomputed: its unmapped blocks are never copied, and every mapped one is verified.)
Progress is what bmaptool has written against the mapped size (bmaptool 3.6 shows its own
only on a terminal, and its --psplash-pipe option fails with a NameError).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orpheus import runner
from orpheus.factory.targets import Target, check_target

SUMS_NAME = "SHA256SUMS"
PROGRESS_SECONDS = 0.5
_SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](\S+)")
_BMAP_NUMBER = r"<{0}>\s*([0-9]{{1,20}})\s*</{0}>"


class FlashError(RuntimeError):
    """A flash refused before writing, or failed while writing (one line)."""


@dataclass(frozen=True)
class Image:
    path: Path
    bmap: Path
    size: int  # bytes of the whole image
    mapped: int  # bytes bmaptool copies


@dataclass(frozen=True)
class Flashed:
    image: Image
    target: Target
    seconds: float

    def summary(self) -> str:
        rate = self.image.mapped / self.seconds / 1e6 if self.seconds > 0 else 0.0
        return (
            f"flashed {self.image.path.name} to {self.target.path}: "
            f"{_gib(self.image.mapped)} written of {_gib(self.image.size)} "
            f"in {self.seconds:.1f} s ({rate:.0f} MB/s)"
        )


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.2f} GiB"


def _bmap_number(text: str, name: str, bmap: Path) -> int:
    found = re.search(_BMAP_NUMBER.format(name), text)
    if not found:
        raise FlashError(f"{bmap}: no {name}: not a block map")
    return int(found.group(1))


def _listed_sums(sums: Path) -> dict[str, str]:
    listed = {}
    for line in sums.read_text().splitlines():
        match = _SUM_LINE.fullmatch(line.strip())
        if match:
            listed[match.group(2)] = match.group(1)
    return listed


def check_image(path: Path) -> Image:
    """The image and its block map, the map checked against the build's SHA256SUMS."""
    bmap = path.with_name(path.name + ".bmap")
    sums = path.parent / SUMS_NAME
    for needed in (path, bmap, sums):
        if not needed.is_file():
            raise FlashError(f"{needed}: no such file (flash an image as the build made it)")
    expected = _listed_sums(sums).get(bmap.name)
    if expected is None:
        raise FlashError(f"{sums} does not list {bmap.name}")
    data = bmap.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected:
        raise FlashError(f"{bmap.name} does not match {sums}: not the block map the build made")
    text = data.decode("utf-8", "replace")
    block = _bmap_number(text, "BlockSize", bmap)
    image = Image(
        path,
        bmap,
        _bmap_number(text, "ImageSize", bmap),
        _bmap_number(text, "MappedBlocksCount", bmap) * block,
    )
    if path.stat().st_size != image.size:
        raise FlashError(f"{path.name} is {path.stat().st_size} bytes, its bmap says {image.size}")
    return image


def _written(pid: int) -> int:
    """Bytes the process has passed to write() so far (/proc/PID/io's wchar, all threads)."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # the process has just ended
    return 0


def _copy(image: Image, target: Target, report: Callable[[int], None]) -> None:
    """bmaptool copy, its progress read from what it has written against the mapped size."""
    command = ["bmaptool", "copy", "--bmap", str(image.bmap), str(image.path), str(target.path)]
    with tempfile.TemporaryFile() as output:
        child = runner.spawn(command, output=output)
        while child.poll() is None:
            if image.mapped:
                report(min(99, 100 * _written(child.pid) // image.mapped))
            with contextlib.suppress(runner.CommandError):
                child.wait(PROGRESS_SECONDS)
        output.seek(0)
        if child.poll() != 0:
            raise FlashError(_bmaptool_error(output.read().decode("utf-8", "replace")))
    report(100)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MISMATCH = re.compile(r"checksum mismatch for blocks range ([0-9]+-[0-9]+)")


def _bmaptool_error(stderr: str) -> str:
    text = _ANSI.sub("", stderr)
    mismatch = _MISMATCH.search(text)
    if mismatch:
        return (
            f"the image does not match its bmap (blocks {mismatch.group(1)} differ): "
            "the target is not usable"
        )
    lines = [line for line in text.splitlines() if "ERROR:" in line] or text.splitlines()
    last = lines[-1].split("ERROR:", 1)[-1].strip() if lines else "no output"
    return f"bmaptool failed: {last[:200]}"


def flash(
    image_path: Path, target_path: Path, report: Callable[[int], None] = lambda _percent: None
) -> Flashed:
    """Checks the image and the target, then copies; FlashError (or TargetRefused) with one
    line. report(percent) is called as the copy goes."""
    image = check_image(image_path)
    target = check_target(target_path, image_path, image.size)
    started = time.monotonic()
    _copy(image, target, report)
    return Flashed(image, target, time.monotonic() - started)
