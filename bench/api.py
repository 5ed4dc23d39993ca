"""API benchmark: schemathesis over every route of the real agent (the test's settings), with
the examples it ran and the server errors it found (must be 0), and the time it took."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from testbed import fuzz
from testbed.pbx_unit import running_unit

ROOTFS = Path(__file__).resolve().parent.parent / "build/rootfs"
EXAMPLES_PER_ROUTE = 100


def run(board: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-api-") as tmp:
        workdir = Path(tmp)
        netns = f"orpheus-bench-api-{os.getpid()}"
        with running_unit(ROOTFS, workdir, netns, board="lite", serial="ORP-BENCH-API") as unit:
            started = time.monotonic()
            runs = fuzz.every_route(unit, EXAMPLES_PER_ROUTE, workdir)
            seconds = time.monotonic() - started
    return {
        "schemathesis_examples_per_route": EXAMPLES_PER_ROUTE,
        "schemathesis_test_cases": sum(r.generated for r in runs),
        "schemathesis_failures": sum(r.failures for r in runs),
        "schemathesis_server_errors": sum(r.server_errors for r in runs),
        "schemathesis_seconds": round(seconds, 1),
    }
