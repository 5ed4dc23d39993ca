"""The update bundle: build/orpheus-<version>.raucb, one for every board.

A RAUC bundle in the `verity` format: a zstd squashfs holding the manifest and the root
filesystem as an ext4 image, with a dm-verity hash tree appended and the whole signed (CMS)
with the update signing key. Why an ext4 image rather than a tar: RAUC writes it to the
inactive slot block by block, and with `adaptive=block-hash-index` it first hashes the 4 KiB
blocks of the slots already on the unit and reads from the bundle only the blocks that
differ. Together with verity's random access this makes a streamed install of a patch
release download only the changed blocks. The ext4 is made like the image's slots
(4 KiB blocks, no reserved blocks, label "rootfs") so both have the same layout rules.

The ext4 is sized to the root filesystem plus headroom (image_size), not to the 2 GiB slot:
RAUC reads, hashes and writes only the image's length, and the rest of the slot is never
looked at (ext4 knows its own size). Sizes are rounded to SIZE_STEP so that patch releases
keep the same size, hence the same block layout.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from builder import keys
from builder.boards import size_bytes
from builder.context import BuildContext
from builder.errors import BuildError
from builder.reproducible import clamp_times, set_inode_times
from builder.run import run

log = logging.getLogger("builder")

# RAUC's compatible string, declared once in the unit's system.conf: bundles carry it and
# release.json names it for the agent.
SYSTEM_CONF = Path(__file__).resolve().parent.parent / "update/system.conf"


def read_compatible(system_conf: Path = SYSTEM_CONF) -> str:
    for line in system_conf.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "compatible":
            return value.strip()
    raise BuildError(f"{system_conf} declares no compatible=")


COMPATIBLE = read_compatible()
# Every board's slot is 2 GiB; the image must fit the smallest one.
SLOT_SIZE = "2G"
BLOCK = 4096
INODE_BYTES = 256
# Journal, group descriptors and bitmaps of an ext4 around 1 GiB, and room to spare.
FIXED_OVERHEAD = 96 * 1024**2
HEADROOM = 0.15
SIZE_STEP = 128 * 1024**2
# 16 KiB squashfs blocks: a streamed install fetches whole compressed blocks, so with
# 128 KiB ones a patch release (v1 -> v2, 4,404 changed 4 KiB chunks) downloaded 24.9 % of
# the bundle; with 16 KiB ones 9.5 %, for a bundle 4.8 % larger (bench/update.py). The
# price: a streamed install that needs every block makes more, smaller requests (under QEMU
# TCG a plain bundle streamed in 219 s instead of 69 s); patch releases are the common case.
MKSQUASHFS_ARGS = "-comp zstd -Xcompression-level 9 -b 16K"
SQUASHFS_MAGIC, SQUASHFS_SUPERBLOCK = b"hsqs", 96


def _break_health(root: Path) -> None:
    """The agent's health check fails on purpose (it looks for this marker)."""
    marker = root / "usr/lib/orpheus/test-break-health"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("test build option break-health: not for production\n")


def _break_boot(root: Path) -> None:
    """PID 1 exits at once: the kernel panics and reboots (panic=) before any agent runs."""
    init = root / "usr/sbin/init"
    init.unlink(missing_ok=True)
    init.symlink_to("../bin/false")  # relative: the same in the initramfs and after


def _config_schema_2(root: Path) -> None:
    """The agent takes its configuration schema to be 2 (it looks for this marker)."""
    marker = root / "usr/lib/orpheus/test-config-schema"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("2\n")


def _agent_patch(root: Path) -> None:
    """One module of the agent changed: a patch release of the agent alone (the streamed
    install benchmark measures what it downloads)."""
    module = root / "usr/lib/python3/dist-packages/orpheus/api/app.py"  # rootfs.AGENT_DEST
    module.write_text(module.read_text() + "\n# patch release of the agent (benchmark)\n")


# Test-only options, for the update tests: a firmware that fails its health check
# (automatic rollback by the agent), one that never reaches userspace (rollback by GRUB's
# attempt counter), one with a newer configuration schema (migration forward, restore on
# rollback), and a bundle without the block-hash index, whose install under QEMU TCG
# copies the image instead of looking up each 4 KiB chunk (several times faster); and, for
# the streamed-install benchmark, a patch release that changes one agent module.
TEST_OPTIONS: dict[str, Callable[[Path], None] | None] = {
    "break-health": _break_health,
    "break-boot": _break_boot,
    "config-schema-2": _config_schema_2,
    "no-hash-index": None,
    "agent-patch": _agent_patch,
}


def bundle_name(version: str) -> str:
    return f"orpheus-{version}.raucb"


def manifest_text(
    version: str,
    build_date: str,
    min_version: str,
    image: str = "rootfs.ext4",
    hash_index: bool = True,
) -> str:
    adaptive = "adaptive=block-hash-index\n" if hash_index else ""
    return (
        "[update]\n"
        f"compatible={COMPATIBLE}\n"
        f"version={version}\n"
        f"build={build_date}\n"
        f"description=Orpheus firmware {version}\n"
        "\n[bundle]\nformat=verity\n"
        f"\n[image.rootfs]\nfilename={image}\n{adaptive}"
        "\n[meta.orpheus]\n"
        f"version={version}\n"
        f"build-date={build_date}\n"
        f"min-version={min_version}\n"
    )


def tree_usage(root: Path) -> tuple[int, int]:
    """Bytes the tree takes in 4 KiB blocks, and its number of inodes."""
    used, inodes = 0, 0
    for entry in [root, *root.rglob("*")]:
        inodes += 1
        if entry.is_symlink():
            continue  # short targets live in the inode
        size = BLOCK if entry.is_dir() else entry.lstat().st_size
        used += -(-size // BLOCK) * BLOCK
    return used, inodes


def image_size(used: int, inodes: int, slot_bytes: int) -> tuple[int, int]:
    """(bytes, inode count) of an ext4 holding the tree with headroom; must fit the slot."""
    count = max(inodes * 3 // 2, 16384)
    raw = int(used * (1 + HEADROOM)) + count * INODE_BYTES + FIXED_OVERHEAD
    size = -(-raw // SIZE_STEP) * SIZE_STEP
    if size > slot_bytes:
        raise BuildError(
            f"the root filesystem needs {size // 1024**2} MiB, more than a "
            f"{slot_bytes // 1024**2} MiB slot"
        )
    return size, count


def sized_for(root: Path) -> tuple[int, int]:
    """(bytes, inodes) of the slot's ext4 image of the tree root."""
    return image_size(*tree_usage(root), size_bytes(SLOT_SIZE))


# The slot filesystem's UUID, and the seed of its directory hashes, are the same for every
# release: ext4's metadata checksums are seeded by the UUID, so a UUID per version would
# change every inode table, bitmap and directory block of a patch release, all of which a
# streamed install then downloads (9.6 % of the bundle for a new version string alone).
# Nothing tells the slots apart by it: GRUB and Linux address them by partition.
ROOTFS_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "orpheus-rootfs"))


def make_ext4(root: Path, image: Path, epoch: int, size: int, inodes: int) -> None:
    """A reproducible ext4 of root: fixed UUID and hash seed, every time the build's epoch
    (two builds of one commit give the same bytes: builder/reproducible.py)."""
    fs_uuid = ROOTFS_UUID
    image.unlink(missing_ok=True)
    # mke2fs copies each file's access time, which any read of the tree since the build has
    # moved (relatime): set back to the epoch right before it reads them.
    clamp_times(root, epoch)
    env = {**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch)}
    run(
        ["mke2fs", "-q", "-t", "ext4", "-b", "4096", "-m", "0", "-L", "rootfs",
         "-U", fs_uuid, "-E", f"hash_seed={fs_uuid},root_owner=0:0", "-N", str(inodes),
         "-d", root, image, str(size // 1024) + "k"],
        env=env,
    )  # fmt: skip
    set_inode_times(image, root, epoch)


def make_slot_image(ctx: BuildContext, root: Path, image: Path) -> int:
    """The slot's ext4 of root, as the bundle carries it and the disk image's slots hold it
    (the same bytes for one build); returns its size."""
    size, inodes = sized_for(root)
    make_ext4(root, image, ctx.build_epoch, size, inodes)
    return size


def signed_manifest(bundle: Path, signing: keys.SigningKeys, work: Path) -> str:
    """The manifest RAUC signed into bundle (with its verity root hash, salt and size)."""
    signature = work / "signature.der"
    run(["rauc", "extract-signature", "--keyring", signing.keyring, bundle, signature])
    manifest = work / "signed-manifest.raucm"
    run(["openssl", "cms", "-verify", "-noverify", "-binary", "-inform", "DER",
         "-in", signature, "-out", manifest])  # fmt: skip
    return manifest.read_text()


def add_meta_section(bundle: Path, meta: str, signing: keys.SigningKeys, work: Path) -> None:
    """Signs the manifest again with the [meta.orpheus] section that the host's RAUC drops.

    RAUC before 1.9 drops [meta.*] sections when it writes a bundle; the device's RAUC reads
    them. The signature of a verity bundle is a CMS over the manifest text, which carries the
    payload's verity root hash: signing the same manifest plus the section keeps the payload.
    """
    text = signed_manifest(bundle, signing, work).rstrip("\n").rstrip(";")
    manifest = work / "manifest-with-meta.raucm"
    manifest.write_text(text + "\n\n" + meta)
    signature = work / "signature-with-meta.der"
    run(
        ["openssl", "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
         "-signer", signing.cert, "-inkey", signing.key, "-in", manifest, "-out", signature]
    )  # fmt: skip
    replaced = bundle.with_name(bundle.name + ".meta")
    replaced.unlink(missing_ok=True)
    run(["rauc", "replace-signature", "--keyring", signing.keyring, bundle, signature, replaced])
    replaced.rename(bundle)


def sign_bundle(
    content: Path,
    output: Path,
    signing: keys.SigningKeys,
    log_file: Path | None = None,
    epoch: int = 0,
) -> Path:
    """The signed bundle of content; its payload (the squashfs) dated by epoch, so two builds
    of one commit make the same payload (RAUC's verity salt, hence the hash tree, and the
    signature differ)."""
    tmp = output.with_name(output.name + ".tmp")
    tmp.unlink(missing_ok=True)
    # Read first: RAUC rewrites the manifest in the content directory (without [meta.*]).
    manifest = (content / "manifest.raucm").read_text()
    # mksquashfs dates the filesystem and every file by SOURCE_DATE_EPOCH (and refuses its
    # -mkfs-time and -all-time options when that is set, as a build's environment may have it).
    run(
        ["rauc", "bundle", "--cert", signing.cert, "--key", signing.key,
         "--keyring", signing.keyring, f"--mksquashfs-args={MKSQUASHFS_ARGS}", content, tmp],
        log_file=log_file,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
    )  # fmt: skip
    add_meta_section(tmp, manifest[manifest.index("[meta.orpheus]") :], signing, content)
    tmp.rename(output)
    return output


def payload_digest(bundle: Path) -> str:
    """SHA-256 of the bundle's payload: its squashfs, as long as its superblock says."""
    with bundle.open("rb") as handle:
        superblock = handle.read(SQUASHFS_SUPERBLOCK)
        if len(superblock) < SQUASHFS_SUPERBLOCK or superblock[:4] != SQUASHFS_MAGIC:
            raise BuildError(f"{bundle} does not start with a squashfs payload")
        left = int.from_bytes(superblock[40:48], "little")  # bytes_used
        handle.seek(0)
        digest = hashlib.sha256()
        while left > 0 and (chunk := handle.read(min(left, 1024 * 1024))):
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def apply_test_options(root: Path, options: list[str]) -> None:
    for option in options:
        change = TEST_OPTIONS[option]
        if change is not None:
            change(root)


def build(ctx: BuildContext, root: Path, test_options: list[str] | None = None) -> Path:
    """Writes build_dir/orpheus-<version>.raucb from the root filesystem tree root."""
    content = ctx.build_dir / "bundle"
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)
    test_options = test_options or []
    if test_options:
        apply_test_options(root, test_options)
        # The tree now differs from what its stamp says: the next build lays it again.
        (ctx.build_dir / "rootfs.stamp").unlink(missing_ok=True)
    size = make_slot_image(ctx, root, content / "rootfs.ext4")
    log.info("bundle: ext4 image of the root filesystem (%d MiB)", size // 1024**2)
    (content / "manifest.raucm").write_text(
        manifest_text(
            ctx.version,
            ctx.build_date,
            ctx.min_version,
            hash_index="no-hash-index" not in test_options,
        )
    )
    output = ctx.build_dir / bundle_name(ctx.version)
    log.info("bundle: rauc bundle (verity, zstd squashfs) -> %s", output.name)
    sign_bundle(
        content, output, keys.signing_keys(ctx), ctx.log_dir / "rauc-bundle.log", ctx.build_epoch
    )
    shutil.rmtree(content)
    for old in ctx.build_dir.glob("orpheus-*.raucb"):
        if old != output:
            old.unlink()
    return output
