"""Update figures: bundle size and build time, install time under QEMU TCG, downtime, and
the share of the bundle a streamed install downloaded.

The QEMU figures come from the update walk-through (tests/update/test_update_qemu.py), which
this runs and which writes them to build/update-test/figures.json. The walk installs plain
bundles from files (no block-hash index: a copy, fast under TCG) and streams a test v2 with
the index; the download share of the production bundle (`make bundle`) over a streamed
install is measured here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from testbed import bundles
from testbed.bundle_server import BundleServer
from testbed.guest import Guest
from testbed.paths import SOURCE_DIR
from testbed.vm import Vm, VmConfig, make_ssh_key

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
    """The walk's figures; a walk run after the newest source change (`make test` ran it)
    is not run again: it takes about half an hour under TCG."""
    if FIGURES.exists() and FIGURES.stat().st_mtime > bundles.newest_source():
        print(f"bench: update walk figures from {FIGURES} (newer than every source)")
        return json.loads(FIGURES.read_text())
    FIGURES.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/update/test_update_qemu.py"],
        cwd=SOURCE_DIR,
        check=False,
    )
    return json.loads(FIGURES.read_text()) if FIGURES.exists() else {}


def indexed_bundle() -> Path:
    """v2 as `make bundle` builds it (block-hash index), over the walk's v1 image."""
    out = WORK / "indexed"
    env = {**_env(), "SOURCE_DATE_EPOCH": str(bundles.V2_EPOCH)}
    subprocess.run(
        [sys.executable, "-m", "builder", "bundle", "--build-dir", str(out),
         "--cache-dir", str(BUILD / "cache"), "--version", bundles.V2,
         "--min-version", bundles.V2_MIN_VERSION],
        cwd=SOURCE_DIR, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return next(out.glob("orpheus-*.raucb"))


def indexed_streamed_install() -> dict[str, float]:
    """Streams the indexed v2 bundle into a v1 guest; bytes served / bundle size."""
    v1_image = bundles.builds().v1_image
    bundle = indexed_bundle()
    served = WORK / "served"
    shutil.rmtree(served, ignore_errors=True)
    served.mkdir(parents=True)
    (served / bundle.name).symlink_to(bundle)
    workdir = WORK / "vm"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    key = make_ssh_key(workdir)
    public_key = key.with_suffix(".pub").read_text().strip()
    vm = Vm(VmConfig(image=v1_image, workdir=workdir, ssh_public_key=public_key))
    server = BundleServer(served)
    vm.start()
    try:
        vm.wait_healthy()
        guest = Guest(vm, key)
        guest.wait_committed()
        started = time.monotonic()
        code, job = guest.api("POST", "/api/v1/update", {"url": server.guest_url(bundle.name)})
        if code != 202:
            raise RuntimeError(f"install refused: {job}")
        while (status := guest.update_status())["job"]["state"] == "running":  # type: ignore[index]
            time.sleep(5)
        if status["job"]["state"] != "succeeded":  # type: ignore[index]
            raise RuntimeError(f"install failed: {status['job']}")
        seconds = time.monotonic() - started
    finally:
        vm.shutdown()
        server.close()
    size = bundle.stat().st_size
    return {
        "indexed_bundle_bytes": size,
        "indexed_streamed_install_seconds": round(seconds, 1),
        "indexed_streamed_download_bytes": server.bytes_sent,
        "indexed_streamed_download_share_v1_to_v2": round(server.bytes_sent / size, 3),
    }


def run(board: str = "mini") -> dict[str, object]:
    del board  # one bundle for every board
    return {**bundle_build(), **qemu_walk(), **indexed_streamed_install()}


def main() -> int:
    print(json.dumps(run(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
