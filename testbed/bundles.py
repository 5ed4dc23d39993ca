"""Bundles for the update tests and benchmark: v1 image and v2 bundle builds, and small bad
bundles.

The builds go to build/update-test/ (never build/rootfs, which other work uses), share
build/cache and sign with build/keys, like `make image` and `make bundle` do.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from builder import bundle as bundle_step
from builder.keys import SigningKeys
from testbed.paths import BUILD_DIR, SOURCE_DIR

TEST_BUILD = BUILD_DIR / "update-test"
KEYS = SigningKeys(
    BUILD_DIR / "keys/signing.key.pem",
    BUILD_DIR / "keys/signing.cert.pem",
    BUILD_DIR / "keys/keyring.pem",
)
V1, V2, BROKEN, NEVER_BOOTS = "1.0.0", "1.1.0", "1.1.1", "1.1.2"
# 2026-01-01, 02-01, 02-15, 02-20
V1_EPOCH, V2_EPOCH, BROKEN_EPOCH, NEVER_BOOTS_EPOCH = 1767225600, 1769904000, 1771113600, 1771545600
# v2 may not be downgraded below v1 (a rollback may: it installs nothing).
V2_MIN_VERSION = V1
PUBLIC_KEYS = {
    "LICENSE_PUBLIC_KEY": "license-public.pem",
    "FACTORY_PUBLIC_KEY": "factory-public.pem",
}
SOURCES = ("agent", "update", "rootfs_overlay", "builder", "image.cfg")


def newest_source() -> float:
    paths: list[Path] = []
    for name in SOURCES:
        root = SOURCE_DIR / name
        paths += [root] if root.is_file() else list(root.rglob("*"))
    return max(p.stat().st_mtime for p in paths if p.is_file() and "__pycache__" not in p.parts)


def builder_env(epoch: int) -> dict[str, str]:
    """The builder's environment for a test build: build/keys' signing keys, and its licence
    and factory public keys when `make` made them, so that v1 and every bundle over it carry
    the same keys (as production builds take theirs from outside the tree)."""
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": str(epoch),
        "SIGNING_KEY": str(KEYS.key),
        "SIGNING_CERT": str(KEYS.cert),
        "KEYRING": str(KEYS.keyring),
        "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}",
    }
    for variable, name in PUBLIC_KEYS.items():
        if (BUILD_DIR / "keys" / name).is_file():
            env[variable] = str(BUILD_DIR / "keys" / name)
    return env


def _builder(
    step: str, build_dir: Path, version: str, epoch: int, *extra: str
) -> subprocess.Popen[bytes]:
    env = builder_env(epoch)
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / "build.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "builder", step, "--build-dir", str(build_dir),
             "--cache-dir", str(BUILD_DIR / "cache"), "--version", version, *extra],
            cwd=SOURCE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _wait(build: subprocess.Popen[bytes], build_dir: Path) -> None:
    """Waits for a build, then drops its laid root filesystem: the tests use only the image
    or the bundle, and four trees of 0.6 GiB would crowd a small CI disk."""
    if build.wait() != 0:
        tail = (build_dir / "build.log").read_text(errors="replace").strip().splitlines()[-5:]
        raise AssertionError(f"build in {build_dir} failed: " + " | ".join(tail))
    shutil.rmtree(build_dir / "rootfs", ignore_errors=True)
    (build_dir / "rootfs.stamp").unlink(missing_ok=True)


def _options_stamp(path: Path) -> Path:
    return path.with_name(path.name + ".options")


def _fresh(path: Path, options: tuple[str, ...] = ()) -> bool:
    """Built after the newest source, and (for a bundle) with the same builder options."""
    if not path.exists() or path.stat().st_mtime <= newest_source():
        return False
    if path.suffix != ".raucb":
        return True
    stamp = _options_stamp(path)
    return stamp.is_file() and stamp.read_text() == " ".join(options)


@dataclass(frozen=True)
class Builds:
    v1_image: Path
    v2_bundle: Path
    broken_bundle: Path  # fails its health check on purpose
    never_boots_bundle: Path | None  # its init dies at once (unless --skip-update-faults)


def builds(faults: bool = False) -> Builds:
    """v1's image first (it lays the shared base if the cache lacks it), then the bundles.
    Each is rebuilt only when a source changed since it was built."""
    v1 = TEST_BUILD / "v1"
    out = Builds(
        v1 / "mini" / f"orpheus-mini-{V1}.img",
        TEST_BUILD / "v2" / bundle_step.bundle_name(V2),
        TEST_BUILD / "broken" / bundle_step.bundle_name(BROKEN),
        TEST_BUILD / "never-boots" / bundle_step.bundle_name(NEVER_BOOTS) if faults else None,
    )
    if not _fresh(out.v1_image):
        _wait(_builder("image", v1, V1, V1_EPOCH), v1)
    # The test bundles go without RAUC's block-hash index: their installs are then plain
    # copies, the fastest under QEMU TCG (a URL's bundle is downloaded whole, then installed
    # as a file). `make bundle` keeps the index for production.
    # Every v2 declares configuration schema 2, so v1 -> v2 migrates and v2 -> v1 restores.
    v2_family = ("--test-option", "no-hash-index", "--test-option", "config-schema-2")
    v2_options = ("--min-version", V2_MIN_VERSION, *v2_family)
    broken_options = ("--test-option", "break-health", *v2_family)
    wanted = [
        (out.v2_bundle, V2, V2_EPOCH, v2_options),
        (out.broken_bundle, BROKEN, BROKEN_EPOCH, broken_options),
    ]
    # One after another: a bundle build peaks at 1.4 GiB (its tree, ext4 and bundle), and
    # three at once would need 4+ GiB free for some 40 s saved on two cores.
    for path, version, epoch, options in wanted:
        if not _fresh(path, options):
            _options_stamp(path).unlink(missing_ok=True)
            _wait(_builder("bundle", path.parent, version, epoch, *options), path.parent)
            _options_stamp(path).write_text(" ".join(options))
    if out.never_boots_bundle is not None and not _fresh(out.never_boots_bundle):
        _options_stamp(out.never_boots_bundle).unlink(missing_ok=True)
        never_boots_bundle(out.never_boots_bundle)
        _options_stamp(out.never_boots_bundle).write_text("")
    return out


# What the firmware that never boots holds: the kernel and initramfs GRUB loads from the
# slot, and an init that exits at once (false, with the C library it needs). A whole root
# filesystem would be 900 MiB to write under TCG for a slot that never reaches userspace;
# this one is a few dozen.
BOOT_LINKS = ("vmlinuz", "initrd.img")  # GRUB loads these (symlinks into boot/)
NEVER_BOOTS_FILES = (
    "usr/bin/false", "usr/lib/x86_64-linux-gnu/libc.so.6",
    "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2",
)  # fmt: skip
USRMERGE_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
# The initramfs moves these into the root it switches to.
MOUNT_POINTS = ("dev", "proc", "sys", "run", "tmp", "etc")


def never_boots_tree(rootfs: Path, tree: Path) -> Path:
    """A slot's tree whose PID 1 exits at once: the kernel panics ("Attempted to kill init")
    and reboots (panic=10) before any agent runs, as the builder's break-boot option does."""
    shutil.rmtree(tree, ignore_errors=True)
    kernel = [str((rootfs / link).readlink()) for link in BOOT_LINKS]
    for name in (*BOOT_LINKS, *kernel, *NEVER_BOOTS_FILES):
        source, target = rootfs / name, tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        else:
            shutil.copy2(source, target)
    for link, where in USRMERGE_LINKS.items():
        (tree / where).mkdir(parents=True, exist_ok=True)
        (tree / link).symlink_to(where)
    for name in MOUNT_POINTS:
        (tree / name).mkdir(exist_ok=True)
    (tree / "usr/sbin/init").symlink_to("../bin/false")
    return tree


def never_boots_bundle(out: Path, rootfs: Path = BUILD_DIR / "rootfs") -> Path:
    """The signed v2 that never boots, from `make image`'s root filesystem (its kernel)."""
    content = out.with_suffix(".content")
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)  # and out's folder
    tree = never_boots_tree(rootfs, out.with_suffix(".tree"))
    size_kib = (sum(f.lstat().st_size for f in tree.rglob("*")) // 1024) * 5 // 4 + 16 * 1024
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-b", "4096", "-L", "rootfs", "-E", "root_owner=0:0",
         "-d", str(tree), str(content / "rootfs.ext4"), f"{size_kib}k"],
        check=True,
    )  # fmt: skip
    build_date = (
        f"{datetime.datetime.fromtimestamp(NEVER_BOOTS_EPOCH, datetime.UTC):%Y-%m-%dT%H:%M:%SZ}"
    )
    manifest = bundle_step.manifest_text(NEVER_BOOTS, build_date, V2_MIN_VERSION, hash_index=False)
    (content / "manifest.raucm").write_text(manifest)
    bundle_step.sign_bundle(content, out, KEYS)
    shutil.rmtree(content)
    shutil.rmtree(tree)
    return out


def bundle_disk(bundles: list[Path], out: Path) -> Path:
    """A small ext4 disk holding the bundles, handed to the guest read-only (label bundles)."""
    tree = out.with_suffix(".tree")
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    for bundle in bundles:
        os.link(bundle, tree / bundle.name)
    size = sum(b.stat().st_size for b in bundles) * 11 // 10 + 64 * 1024**2
    out.unlink(missing_ok=True)
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-L", "bundles", "-E", "root_owner=0:0",
         "-d", str(tree), str(out), f"{size // 1024}k"],
        check=True,
    )  # fmt: skip
    shutil.rmtree(tree)
    return out


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

    def run(*args: str | Path) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

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
