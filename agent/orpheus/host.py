"""Host health figures for the dashboard: uptime, load, memory, free space."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class DiskSpace:
    total_bytes: int
    free_bytes: int


@dataclass(frozen=True)
class HostFigures:
    uptime_seconds: float
    load: tuple[float, float, float]
    memory_total_bytes: int
    memory_available_bytes: int
    root: DiskSpace | None
    data: DiskSpace | None


def as_dict(space: DiskSpace | None) -> dict[str, int] | None:
    return asdict(space) if space else None


def read_meminfo(path: Path = Path("/proc/meminfo")) -> dict[str, int]:
    """Values of /proc/meminfo in bytes."""
    values: dict[str, int] = {}
    for line in path.read_text().splitlines():
        key, _, rest = line.partition(":")
        number, *unit = rest.split()
        values[key] = int(number) * (1024 if unit == ["kB"] else 1)
    return values


def disk_space(path: Path) -> DiskSpace | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return DiskSpace(total_bytes=usage.total, free_bytes=usage.free)


def collect(data_dir: Path) -> HostFigures:
    memory = read_meminfo()
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return HostFigures(
        uptime_seconds=uptime,
        load=os.getloadavg(),
        memory_total_bytes=memory["MemTotal"],
        memory_available_bytes=memory.get("MemAvailable", memory["MemFree"]),
        root=disk_space(Path("/")),
        data=disk_space(data_dir),
    )
