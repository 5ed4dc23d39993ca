"""Boot figures of the built image: QEMU start to healthy, the agent's memory after boot."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from testbed.paths import BUILD_DIR
from testbed.vm import Vm, VmConfig, find_image, make_ssh_key, ssh_command


def run(board: str) -> dict[str, object]:
    """Boots build/<board>'s image (or $ORPHEUS_BUILD_DIR's) under TCG, on an overlay."""
    image = find_image(board, Path(os.environ.get("ORPHEUS_BUILD_DIR", BUILD_DIR)))
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
            load = Path("/proc/loadavg").read_text().split()[0]
        finally:
            vm.shutdown()
    return {
        "board": board,
        "image": image.name,
        "boot_to_healthy_seconds": round(seconds, 1),
        "agent_rss_kib": int(rss[0]),
        "host_load_1min_at_healthy": float(load),
    }
