"""A capture's bounds: never unbounded. A capture without a size gets DEFAULT_SIZE_MB; every
capture stops after its duration (at most MAX_DURATION_SECONDS); what all kept captures may
hold together is the quota, checked against each new capture's full size before it starts."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000  # tcpdump's -C counts millions of bytes
DEFAULT_SIZE_MB = 10
MAX_SIZE_MB = 50
DEFAULT_DURATION_SECONDS = 300
MAX_DURATION_SECONDS = 3600
MAX_KEPT = 20
# tcpdump checks a file's size before it writes a packet: one more packet may go over.
SNAPLEN = 65535
RING_FILES = 4
HEP_SHARE = 4  # the HEP file (decrypted SIP) may hold a quarter of the capture's size


class QuotaExceeded(Exception):
    """A capture that would not fit in the quota beside the kept ones; one line."""


class NoSpace(QuotaExceeded):
    """The capture's filesystem itself cannot hold it (answered 507, not 409)."""


@dataclass(frozen=True)
class Ring:
    """tcpdump's ring buffer: `files` files of `file_mb` MB each (-W, -C)."""

    files: int
    file_mb: int

    @classmethod
    def for_size(cls, size_mb: int) -> Ring:
        files = max(1, min(RING_FILES, size_mb))
        return cls(files, size_mb // files)

    @property
    def hep_bytes(self) -> int:
        """The most the capture's HEP file holds (never a record over: hep_receiver.py)."""
        return self.files * self.file_mb * MB // HEP_SHARE

    @property
    def bound_bytes(self) -> int:
        """The most the capture holds on disk: the ring (each file one packet over at worst)
        and its HEP file."""
        return self.files * (self.file_mb * MB + SNAPLEN + 16) + self.hep_bytes


def check_free(free_bytes: int, reserved_bytes: int, new_bytes: int) -> None:
    """The filesystem itself (a RAM /run smaller than the quota) must hold the new capture
    beside what the running ones may still write."""
    if free_bytes - reserved_bytes < new_bytes:
        free = max(0, free_bytes - reserved_bytes)
        raise NoSpace(
            f"the capture needs {new_bytes // MB} MB but its filesystem has {free // MB} MB free"
        )


def check_quota(used_bytes: int, reserved_bytes: int, new_bytes: int, quota_mb: int) -> None:
    """used: kept captures' files; reserved: running captures' bounds (not yet written)."""
    quota = quota_mb * MB
    if used_bytes + reserved_bytes + new_bytes > quota:
        free = max(0, quota - used_bytes - reserved_bytes)
        raise QuotaExceeded(
            f"the capture needs {new_bytes // MB} MB but only {free // MB} MB of the "
            f"{quota_mb} MB capture quota is free: delete a capture first"
        )
