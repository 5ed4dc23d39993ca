"""Update figures: bundle size and build time, install time under QEMU TCG, downtime, and
the share of the bundle a streamed install downloaded.

The QEMU figures come from the update walk-through (tests/update/test_update_qemu.py), which
this runs and which writes them to build/update-test/figures.json. The walk installs plain
bundles from files (no block-hash index: a copy, fast under TCG). The download share of
patch releases built like production bundles (`make bundle`, with the index) and streamed by
RAUC into a unit fresh from its factory image is measured here: the same build as the image,
a new version string only, and one agent module changed.
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


# The patch releases streamed into a v1 unit fresh from its factory image: (name, version,
# build epoch, test options). The first two share v1's epoch, so they differ from v1 only as
# their names say; the agent's patch is a later commit, as a real one would be.
PATCH_RELEASES = (
    ("same_build", bundles.V1, bundles.V1_EPOCH, ()),
    ("version_only", "1.0.1", bundles.V1_EPOCH, ()),
    ("agent_patch", "1.0.2", bundles.V1_EPOCH + 86400, ("--test-option", "agent-patch")),
)


def indexed_bundle(name: str, version: str, epoch: int, options: tuple[str, ...]) -> Path:
    """A bundle as `make bundle` builds it (block-hash index), of v1's tree."""
    out = WORK / "streamed" / name
    env = bundles.builder_env(epoch)  # v1's keys
    subprocess.run(
        [sys.executable, "-m", "builder", "bundle", "--build-dir", str(out),
         "--cache-dir", str(BUILD / "cache"), "--version", version, *options],
        cwd=SOURCE_DIR, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return next(out.glob("orpheus-*.raucb"))


# RAUC sometimes fails to set up a streamed bundle's dm-verity device under TCG, before it
# writes anything (update/installer.py retries likewise); the next attempt works.
STREAM_ATTEMPTS = 3


def _stream(guest: Guest, server: BundleServer, bundle: Path) -> tuple[int, float]:
    """RAUC streams the bundle over HTTP into the other slot: bytes served and seconds of
    the attempt that succeeded."""
    for attempt in range(1, STREAM_ATTEMPTS + 1):
        before = server.bytes_sent
        started = time.monotonic()
        result = guest.run("rauc", "install", server.guest_url(bundle.name), check=False)
        if result.returncode == 0:
            return server.bytes_sent - before, time.monotonic() - started
        print(f"streamed install of {bundle.name}, attempt {attempt}: {result.stderr.strip()}")
    raise RuntimeError(f"{bundle.name}: {STREAM_ATTEMPTS} streamed installs failed")


def streamed_shares() -> dict[str, float]:
    """Each patch release streamed by RAUC into one v1 guest fresh from its image; the share
    of the bundle the HTTP server sent. The agent is stopped first: its URL installs download
    the whole bundle and check it before RAUC sees it (update/verity.py), and its fallback
    keeper would restore the other slot while RAUC writes it."""
    v1_image = bundles.builds().v1_image
    built = {name: indexed_bundle(name, *release) for name, *release in PATCH_RELEASES}
    served = WORK / "served"
    shutil.rmtree(served, ignore_errors=True)
    served.mkdir(parents=True)
    for bundle in built.values():
        (served / bundle.name).symlink_to(bundle)
    workdir = WORK / "vm"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    key = make_ssh_key(workdir)
    vm = Vm(VmConfig(image=v1_image, workdir=workdir,
                     ssh_public_key=key.with_suffix(".pub").read_text().strip()))  # fmt: skip
    server = BundleServer(served)
    figures: dict[str, float] = {}
    vm.start()
    try:
        vm.wait_healthy()
        guest = Guest(vm, key)
        guest.wait_committed()
        guest.run("systemctl", "stop", "orpheus-agent")
        for name, bundle in built.items():
            sent, seconds = _stream(guest, server, bundle)
            size = bundle.stat().st_size
            figures[f"streamed_{name}_bundle_bytes"] = size
            figures[f"streamed_{name}_download_bytes"] = sent
            figures[f"streamed_{name}_download_share"] = round(sent / size, 4)
            figures[f"streamed_{name}_install_seconds"] = round(seconds, 1)
    finally:
        vm.shutdown()
        server.close()
    return figures


def run(board: str = "mini") -> dict[str, object]:
    del board  # one bundle for every board
    return {**bundle_build(), **qemu_walk(), **streamed_shares()}


def main() -> int:
    print(json.dumps(run(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
