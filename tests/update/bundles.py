"""Bundles for the update tests: v1 image and v2 bundle builds, and small bad bundles.

The builds go to build/update-test/ (never build/rootfs, which other work uses), share
build/cache and sign with build/keys, like `make image` and `make bundle` do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from builder import bundle as bundle_step
from builder.keys import SigningKeys
from tests.vm import SOURCE_DIR

BUILD = SOURCE_DIR / "build"
TEST_BUILD = BUILD / "update-test"
KEYS = SigningKeys(
    BUILD / "keys/signing.key.pem", BUILD / "keys/signing.cert.pem", BUILD / "keys/keyring.pem"
)
V1, V2 = "1.0.0", "1.1.0"
V1_EPOCH, V2_EPOCH = 1767225600, 1769904000  # 2026-01-01, 2026-02-01
SOURCES = ("agent", "update", "rootfs_overlay", "builder", "image.cfg")


def _newest_source() -> float:
    paths: list[Path] = []
    for name in SOURCES:
        root = SOURCE_DIR / name
        paths += [root] if root.is_file() else list(root.rglob("*"))
    return max(p.stat().st_mtime for p in paths if p.is_file() and "__pycache__" not in p.parts)


def _builder(step: str, build_dir: Path, version: str, epoch: int, *extra: str) -> None:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": str(epoch),
        "SIGNING_KEY": str(KEYS.key),
        "SIGNING_CERT": str(KEYS.cert),
        "KEYRING": str(KEYS.keyring),
        "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}",
    }
    subprocess.run(
        [sys.executable, "-m", "builder", step, "--build-dir", str(build_dir),
         "--cache-dir", str(BUILD / "cache"), "--version", version, *extra],
        cwd=SOURCE_DIR, env=env, check=True,
    )  # fmt: skip


def _fresh(path: Path) -> bool:
    return path.exists() and path.stat().st_mtime > _newest_source()


def v1_image() -> Path:
    image = TEST_BUILD / "v1/mini" / f"orpheus-mini-{V1}.img"
    if not _fresh(image):
        _builder("image", TEST_BUILD / "v1", V1, V1_EPOCH)
    return image


def v2_bundle() -> Path:
    path = TEST_BUILD / "v2" / bundle_step.bundle_name(V2)
    if not _fresh(path):
        _builder("bundle", TEST_BUILD / "v2", V2, V2_EPOCH)
    return path


def small_bundle(
    out: Path,
    *,
    version: str = "1.2.0",
    build_date: str = "2026-03-01T00:00:00Z",
    min_version: str = "0.0.0",
    compatible: str = bundle_step.COMPATIBLE,
    keys: SigningKeys = KEYS,
) -> Path:
    """A signed bundle with a 1 MiB image: enough for every check made before writing."""
    content = out.with_suffix(".content")
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)
    (content / "rootfs.ext4").write_bytes(os.urandom(1024 * 1024))
    manifest = bundle_step.manifest_text(version, build_date, min_version)
    manifest = manifest.replace(f"compatible={bundle_step.COMPATIBLE}", f"compatible={compatible}")
    (content / "manifest.raucm").write_text(manifest)
    bundle_step.sign_bundle(content, out, keys)
    shutil.rmtree(content)
    return out


def other_keys(directory: Path) -> SigningKeys:
    """A second CA and signer, unknown to the unit's keyring."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (
        directory / n for n in ("ca.key", "ca.pem", "signer.key", "signer.csr", "signer.pem")
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "30", "-subj", "/CN=Other CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    run("req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=Other signer")
    ext = directory / "ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "30", "-extfile", ext)  # fmt: skip
    return SigningKeys(key, cert, ca)


def flip_byte(source: Path, out: Path, offset: int) -> Path:
    data = bytearray(source.read_bytes())
    data[offset] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def truncate(source: Path, out: Path, keep: int) -> Path:
    out.write_bytes(source.read_bytes()[:keep])
    return out
