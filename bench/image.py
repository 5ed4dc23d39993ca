"""Image builder and boot figures: build times, sizes, boot to healthy, agent memory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.vm import (
    SOURCE_DIR,
    Vm,
    VmConfig,
    VmError,
    find_image,
    make_ssh_key,
    ssh_command,
)

WORK_DIR = SOURCE_DIR / "bench/work"


def _build(board: str, build_dir: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "builder", "image", "--board", board, "--build-dir", str(build_dir)],
        cwd=SOURCE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.monotonic() - started, 1)


def build_times(board: str) -> dict[str, float]:
    """A build from an empty build folder (downloads included), then two rebuilds."""
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    clean = _build(board, WORK_DIR)
    (WORK_DIR / "rootfs.stamp").unlink()  # as after a change to the agent or the overlay
    relayed = _build(board, WORK_DIR)
    unchanged = _build(board, WORK_DIR)
    return {
        "clean_build_seconds": clean,
        "rebuild_after_agent_change_seconds": relayed,
        "rebuild_unchanged_seconds": unchanged,
    }


def sizes(image: Path) -> dict[str, int]:
    compressed = subprocess.run(
        ["zstd", "-q", "-T0", "-10", "--sparse", "-c", str(image)],
        stdout=subprocess.PIPE,
        check=True,
    ).stdout
    return {
        "image_bytes": image.stat().st_size,
        "image_allocated_bytes": image.stat().st_blocks * 512,
        "image_zstd10_bytes": len(compressed),
    }


def boot(image: Path) -> dict[str, float | int]:
    """QEMU start to GET /api/v1/health OK, then the agent's resident memory."""
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-") as workdir:
        key = make_ssh_key(Path(workdir))
        vm = Vm(VmConfig(image, Path(workdir), ssh_public_key=key.with_suffix(".pub").read_text()))
        vm.start()
        try:
            seconds = vm.wait_healthy()
            rss = subprocess.run(
                ssh_command(vm, key, "ps", "-o", "rss=", "-C", "orpheus-agent"),
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
        finally:
            vm.shutdown()
    return {"boot_to_healthy_seconds": round(seconds, 1), "agent_rss_kib": int(rss[0])}


def run(board: str) -> dict[str, object]:
    results: dict[str, object] = {"board": board}
    results.update(build_times(board))
    image = find_image(board, WORK_DIR)
    results.update(sizes(image))
    try:
        results.update(boot(image))
    except VmError as error:  # the build figures still stand; say why boot figures are missing
        results["boot_error"] = str(error)
    shutil.rmtree(WORK_DIR / board / "genimage", ignore_errors=True)
    return results
