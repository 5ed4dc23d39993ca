"""Factory benchmark (issue 14): `orpheus-factory flash` of the built image onto a 16 GB
target beside `dd` of the same image onto the same kind of target, in the same run; then
`orpheus-factory provision` of one fake unit and a batch of BATCH_UNITS.

The targets are sparse files on the build host's disk (the station has no USB-attached SSD
here), each written to the end and synced: dd copies every block of the image, bmaptool only
the mapped ones (and checks their SHA-256 as it writes).

The provisioned units are testbed/factory_unit.py's (the real console on a pty, fake
hardware): a pty is not rate-limited, so the time a real 115200-baud line adds is given apart,
from the bytes exchanged (10 bits a byte on the wire).
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from orpheus.factory.batch import LiveTable, run_batch
from orpheus.factory.board_hardware import load_declared
from orpheus.factory.flash import check_image, flash
from orpheus.factory.provision import Station
from orpheus.factory.records import RecordStore
from orpheus.licensing.factory_signature import load_signing_key
from testbed.factory_unit import (
    FactoryUnit,
    Hardware,
    ami_banner,
    console_on_pty,
    factory_key_pair,
    lay_out,
)
from testbed.paths import BUILD_DIR, SOURCE_DIR
from testbed.vm import find_image

TARGET_SIZE = 16 * 10**9
BATCH_UNITS = 4
BAUD_BYTES_PER_SECOND = 115200 / 10


def _target(directory: Path, name: str) -> Path:
    path = directory / name
    with path.open("wb") as out:
        out.truncate(TARGET_SIZE)
    return path


def _dd_seconds(image: Path, target: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        ["dd", f"if={image}", f"of={target}", "bs=4M", "conv=notrunc,fsync", "status=none"],
        check=True,
    )
    return time.monotonic() - started


def _units(root: Path, count: int, ami_port: int) -> list[FactoryUnit]:
    private, public = factory_key_pair(root)
    units = []
    for index in range(count):
        hardware = Hardware(
            product_uuid=f"bench-uuid-{index}",
            disk_serial=f"BENCH-SSD-{index}",
            macs=(f"52:54:00:00:{index:02x}:01", f"52:54:00:00:{index:02x}:02"),
        )
        lay_out(root / f"unit{index}", hardware)
        units.append(FactoryUnit(root / f"unit{index}", hardware, ami_port, public, private))
    return units


def _provision_seconds(count: int) -> tuple[float, int]:
    """Wall time of provisioning count fresh units at once, and the bytes exchanged."""
    with (
        tempfile.TemporaryDirectory(prefix="orpheus-bench-provision-") as tmp,
        ami_banner() as port,
    ):
        root = Path(tmp)
        units = _units(root, count, port)
        station = Station(
            declared=load_declared("mini", SOURCE_DIR / "board"),
            signing_key=load_signing_key(units[0].factory_private),
            records=RecordStore(root / "records"),
            label_dir=root / "labels",
        )
        with ExitStack() as stack:
            ports = [stack.enter_context(console_on_pty(unit)).port for unit in units]
            pairs = [(p, f"BENCH-{i:04d}") for i, p in enumerate(ports)]
            started = time.monotonic()
            outcomes = run_batch(station, pairs, LiveTable(pairs, io.StringIO()))
            seconds = time.monotonic() - started
    if any(o.result != "sealed" for o in outcomes):
        raise RuntimeError(f"provisioning failed: {[o.detail for o in outcomes]}")
    return seconds, sum(o.bytes_sent + o.bytes_received for o in outcomes)


def provisioning() -> dict[str, Any]:
    one_seconds, one_bytes = _provision_seconds(1)
    batch_seconds, _ = _provision_seconds(BATCH_UNITS)
    return {
        "provision_one_unit_seconds": round(one_seconds, 2),
        "provision_serial_bytes_per_unit": one_bytes,
        "provision_line_seconds_at_115200": round(one_bytes / BAUD_BYTES_PER_SECOND, 2),
        "batch_units": BATCH_UNITS,
        "batch_seconds": round(batch_seconds, 2),
        "batch_over_one_unit": round(batch_seconds / one_seconds, 2),
    }


def run(board: str) -> dict[str, Any]:
    figures = provisioning()
    image = find_image(board, BUILD_DIR)
    plan = check_image(image)
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-flash-", dir=BUILD_DIR) as tmp:
        directory = Path(tmp)
        flashed = flash(image, _target(directory, "flash.img"))
        dd_seconds = _dd_seconds(image, _target(directory, "dd.img"))
    return {
        "image_bytes": plan.size,
        "mapped_bytes": plan.mapped,
        "target_bytes": TARGET_SIZE,
        "flash_seconds": round(flashed.seconds, 1),
        "dd_seconds": round(dd_seconds, 1),
        "flash_speedup_over_dd": round(dd_seconds / flashed.seconds, 2),
        **figures,
    }
