"""tcpdump's argument list for a capture: every interface, no name lookups, packets delivered
and written as they come (--immediate-mode, -U: a download mid-capture holds them), and a
ring buffer of bounded files (-C, -W) named FILE0, FILE1, ... in the capture's directory."""

from __future__ import annotations

from pathlib import Path

from orpheus.capture.filters import CaptureFilter
from orpheus.capture.limits import SNAPLEN, Ring

PCAP_PREFIX = "capture.pcap"  # tcpdump appends the ring file's number


def argv(program: str, directory: Path, ring: Ring, capture_filter: CaptureFilter) -> list[str]:
    return [
        program,
        "-i", "any",
        "-n",
        "-U",
        # Packets reach tcpdump as they come, not when a kernel buffer block fills or times
        # out: a capture stopped right after a call still holds the call.
        "--immediate-mode",
        "-s", str(SNAPLEN),
        # As root it would switch to the tcpdump user, which may not write the agent's
        # directory; the unit's sandbox (runners.py) limits it instead.
        "-Z", "root",
        "-C", str(ring.file_mb),
        "-W", str(ring.files),
        "-w", str(directory / PCAP_PREFIX),
        "--",
        *capture_filter.tokens(),
    ]  # fmt: skip


def ring_files(directory: Path) -> list[Path]:
    """The ring's files, oldest first (tcpdump reuses the names round the ring). A ring of
    one file has no number: tcpdump -W 1 writes FILE itself."""
    found: list[tuple[int, str, Path]] = []
    for path in directory.glob(PCAP_PREFIX + "*"):
        number = path.name[len(PCAP_PREFIX) :]
        if number and not (number.isascii() and number.isdigit()):
            continue
        try:
            found.append((path.stat().st_mtime_ns, path.name, path))
        except FileNotFoundError:  # deleted meanwhile
            continue
    return [path for _mtime, _name, path in sorted(found)]
