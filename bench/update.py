"""Update figures: bundle size and build time, install time under QEMU TCG, downtime, and
the share of the bundle a streamed install downloaded.

The QEMU figures come from the update walk-through (tests/update/test_update_qemu.py), which
this runs and which writes them to build/update-test/figures.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.vm import SOURCE_DIR

BUILD = SOURCE_DIR / "build"
WORK = SOURCE_DIR / "bench/work/update"
FIGURES = BUILD / "update-test/figures.json"


def _env() -> dict[str, str]:
    keys = BUILD / "keys"
    return {
        **os.environ,
        "SIGNING_KEY": str(keys / "signing.key.pem"),
        "SIGNING_CERT": str(keys / "signing.cert.pem"),
        "KEYRING": str(keys / "keyring.pem"),
        "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}",
    }


def bundle_build() -> dict[str, float]:
    """Bundle step alone (root filesystem already laid), in its own build folder."""
    argv = [sys.executable, "-m", "builder", "bundle", "--build-dir", str(WORK),
            "--cache-dir", str(BUILD / "cache"), "--version", "0.0.1-bench"]  # fmt: skip
    subprocess.run(argv, cwd=SOURCE_DIR, env=_env(), check=True, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    subprocess.run(argv, cwd=SOURCE_DIR, env=_env(), check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    bundle = next(WORK.glob("orpheus-*.raucb"))
    return {"bundle_bytes": bundle.stat().st_size, "bundle_build_seconds": round(seconds, 1)}


def qemu_walk() -> dict[str, float]:
    FIGURES.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/update/test_update_qemu.py"],
        cwd=SOURCE_DIR,
        check=False,
    )
    return json.loads(FIGURES.read_text()) if FIGURES.exists() else {}


def run(board: str = "mini") -> dict[str, object]:
    del board  # one bundle for every board
    return {**bundle_build(), **qemu_walk()}


def main() -> int:
    print(json.dumps(run(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
