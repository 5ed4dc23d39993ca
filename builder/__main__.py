"""Command line of the image builder (run by `make image`, `make rootfs`)."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from builder import (
    bundle,
    disk,
    esp,
    hosttools,
    keys,
    manifest,
    packages,
    reproducible,
    rootfs,
    slotindex,
    space,
)
from builder.boards import BOARD_DIR, load_board
from builder.context import SOURCE_DIR, BuildContext, build_epoch, git_commit, git_version
from builder.errors import BuildError

log = logging.getLogger("builder")


def make_context(args: argparse.Namespace) -> BuildContext:
    release = packages.read_release(args.rebuild_from) if args.rebuild_from else None
    return BuildContext(
        board=load_board(args.board, args.board_dir),
        # A rebuild is of the release's version and date unless told otherwise.
        version=args.version or (release.version if release else git_version()),
        build_epoch=build_epoch(release.epoch if release else None),
        commit=git_commit(),
        build_dir=args.build_dir.resolve(),
        shared_cache_dir=args.cache_dir.resolve() if args.cache_dir else None,
        min_version=args.min_version,
        rebuild_from=release,
    )


def build_rootfs(ctx: BuildContext, mirror: str | None, step_parts: list[str]) -> Path:
    """The laid root filesystem, once the mirror (if needed) and the free space are checked."""
    hosttools.ensure(hosttools.BUILD_TOOLS)
    if ctx.rebuild_from is not None:
        return rebuild_rootfs(ctx, ctx.rebuild_from, step_parts)
    mirror = mirror or rootfs.load_config()["mirror"]
    parts = ["rootfs", *step_parts]
    if not rootfs.base_is_cached(ctx, mirror):
        # Checked first: with no mirror the build cannot start, whatever the free space.
        rootfs.check_mirror(mirror)
        parts.insert(0, "base")
    space.check_free_space(ctx.build_dir, parts)
    keys.signing_keys(ctx)
    return rootfs.customize(ctx, rootfs.build_base(ctx, mirror))


def rebuild_rootfs(ctx: BuildContext, release: packages.Release, step_parts: list[str]) -> Path:
    """The root filesystem of a release from its own packages alone, offline: refused before
    anything is made unless the cache holds each one with the checksum the release records."""
    apt_cache = ctx.cache_dir / "apt"
    packages.check_cache(release.packages, apt_cache)
    repo = ctx.build_dir / "rebuild-repo"
    packages.local_repository(release.packages, apt_cache, repo, rootfs.load_config()["suite"])
    source = f"deb [trusted=yes] file:{repo} ./"
    space.check_free_space(ctx.build_dir, ["base", "rootfs", *step_parts])
    keys.signing_keys(ctx)
    root = rootfs.customize(ctx, rootfs.build_base(ctx, source, sources=[source]))
    packages.check_installed(release.packages, rootfs.read_packages(ctx))
    return root


def _remove_older_outputs(ctx: BuildContext) -> None:
    for old in ctx.board_dir.glob(f"orpheus-{ctx.board.name}-*"):
        if not old.name.endswith(".tmp"):
            old.unlink()


def build_image(ctx: BuildContext, mirror: str | None) -> list[Path]:
    images = ["image", "hypervisor-images"] if ctx.board.virtual_disk else ["image"]
    root = build_rootfs(ctx, mirror, images)
    ctx.board_dir.mkdir(parents=True, exist_ok=True)
    esp_dir = esp.build(ctx, root)
    image = disk.assemble(ctx, root, esp_dir)
    slotindex.seed(image, ctx.version, ctx.build_date, ctx.build_epoch)
    bmap = disk.write_bmap(image, ctx.board_dir / ctx.image_name)
    extra = disk.hypervisor_images(ctx, image)
    files = [image, bmap, *extra]
    manifest_file = manifest.write_manifest(ctx, rootfs.read_packages(ctx), files)
    _remove_older_outputs(ctx)
    published = disk.publish([*files, manifest_file])
    manifest.write_checksums(ctx.board_dir, published)
    return published


def _build_release(ctx: BuildContext, mirror: str | None) -> tuple[Path, Path]:
    """The board's disk image and the update bundle of one build: (image, bundle)."""
    image = next(p for p in build_image(ctx, mirror) if p.name == ctx.image_name)
    return image, bundle.build(ctx, ctx.rootfs_dir)


def check_reproducible(ctx: BuildContext, mirror: str | None) -> int:
    """The board's image and bundle built, then built again in a second directory from the
    first's manifest alone (REBUILD_FROM: its own base, made offline from the package cache,
    refusing any package that differs), sharing only the package cache and the signing keys:
    0 when the disk images and the bundles' payloads are bit-identical, 1 (with what differs)
    when not."""
    work = ctx.build_dir / "reproducible"
    shutil.rmtree(work, ignore_errors=True)
    builds: list[tuple[BuildContext, str, str]] = []  # each build's image and payload digests
    for name in ("first", "second"):
        build_dir = work / name
        build_dir.mkdir(parents=True)
        (build_dir / "keys").symlink_to(ctx.keys_dir)
        # The second build is the first's release, rebuilt from its manifest.
        release = (
            packages.read_release(builds[0][0].board_dir / "manifest.json") if builds else None
        )
        again = dataclasses.replace(
            ctx, build_dir=build_dir, shared_cache_dir=ctx.cache_dir, rebuild_from=release
        )
        started = time.monotonic()
        image, bundle_file = _build_release(again, mirror)
        print(f"{name} build: {time.monotonic() - started:.0f} s")
        image_digest, payload = reproducible.file_digest(image), bundle.payload_digest(bundle_file)
        builds.append((again, image_digest, payload))
        slot = slotindex.partitions(image)["rootfs-a"]
        print(f"{name} build: rootfs.ext4 sha256 {slotindex.slot_digest(image, slot)}")
        print(f"{name} build: {image.name} sha256 {image_digest}")
        print(f"{name} build: bundle payload sha256 {payload}")
    (first, first_image, first_payload), (second, second_image, second_payload) = builds
    same_image, same_payload = first_image == second_image, first_payload == second_payload
    if same_image and same_payload:
        print("reproducible: both builds made the same disk image and bundle payload")
        shutil.rmtree(work)
        return 0
    print("NOT reproducible: " + ", ".join(
        what for what, same in (("the disk images", same_image), ("the payloads", same_payload))
        if not same
    ) + " differ; partitions that differ: " + ", ".join(
        slotindex.differing_partitions(
            first.board_dir / first.image_name, second.board_dir / second.image_name
        )
    ) + "; first differing files:")  # fmt: skip
    differences = reproducible.tree_differences(first.rootfs_dir, second.rootfs_dir)
    for line in differences or ["(none: the trees match, the filesystem images differ)"]:
        print(f"  {line}")
    return 1


def _discard_partial(ctx: BuildContext | None) -> None:
    if ctx and ctx.board_dir.is_dir():
        for partial in ctx.board_dir.glob("*.tmp"):
            partial.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m builder")
    parser.add_argument(
        "step", choices=["image", "rootfs", "bundle", "host-tools", "check-reproducible"]
    )
    parser.add_argument("--board", default=os.environ.get("BOARD", "mini"))
    parser.add_argument("--version", default=os.environ.get("VERSION") or None)
    parser.add_argument("--mirror", default=os.environ.get("MIRROR") or None)
    parser.add_argument("--build-dir", type=Path, default=SOURCE_DIR / "build")
    parser.add_argument("--board-dir", type=Path, default=BOARD_DIR)
    parser.add_argument("--cache-dir", type=Path, help="share another build directory's cache")
    parser.add_argument("--min-version", default=os.environ.get("MIN_VERSION") or "0.0.0")
    parser.add_argument(
        "--rebuild-from", type=Path, default=os.environ.get("REBUILD_FROM") or None,
        help="a release's manifest.json: rebuild it from the package cache alone",
    )  # fmt: skip
    parser.add_argument(
        "--test-option", action="append", choices=sorted(bundle.TEST_OPTIONS), default=[],
        help="test builds only: e.g. a firmware whose health check fails",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="orpheus-build: %(message)s")
    ctx = None
    try:
        if args.step == "host-tools":
            hosttools.ensure({**hosttools.BUILD_TOOLS, **hosttools.RUN_TOOLS})
            return 0
        ctx = make_context(args)
        if args.step == "check-reproducible":
            return check_reproducible(ctx, args.mirror)
        if args.step == "rootfs":
            print(build_rootfs(ctx, args.mirror, []))
        elif args.step == "bundle":
            print(bundle.build(ctx, build_rootfs(ctx, args.mirror, ["bundle"]), args.test_option))
        else:
            for path in build_image(ctx, args.mirror):
                print(path)
    except BuildError as error:
        _discard_partial(ctx)
        print(f"orpheus-build: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        _discard_partial(ctx)
        cause = "disk full" if error.errno == errno.ENOSPC else "I/O error"
        print(f"orpheus-build: error: {cause}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
