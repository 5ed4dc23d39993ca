"""The root filesystem: a cached mmdebstrap base, then Orpheus laid over a copy of it."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from builder import keys, packages
from builder.bundle import COMPATIBLE
from builder.context import BuildContext
from builder.errors import BuildError
from builder.reproducible import clamp_times
from builder.run import run

log = logging.getLogger("builder")

ROOTFS_CONFIG = Path(__file__).resolve().parent / "rootfs.toml"
# The builder's code that decides what the laid tree holds (part of its stamp).
CLAMP_CODE = Path(__file__).resolve().parent / "reproducible.py"
LAYING_CODE = tuple(
    Path(__file__).resolve().parent / name
    for name in ("rootfs.py", "reproducible.py", "packages.py")
)
AGENT_DEST = Path("usr/lib/python3/dist-packages/orpheus")
FACTORY_DIR = Path("usr/share/orpheus/factory")
GRUB_EFI = Path("usr/lib/orpheus/grub/BOOTX64.EFI")
# The vendor's licence verification key (AgentConfig.license_public_key on the unit).
LICENSE_PUBLIC_KEY = Path("usr/share/orpheus/license-public.pem")
# The factory's identity signing key, public half (AgentConfig.factory_public_key).
FACTORY_PUBLIC_KEY = Path("usr/share/orpheus/factory-public.pem")
# GRUB modules for the A/B script (update/grub.cfg) on an EFI system partition.
GRUB_MODULES = (  # noqa: SIM905 - two lines of names read better than 22
    "part_gpt fat ext2 normal configfile linux loadenv test regexp echo search all_video "
    "efi_gop serial terminal gzio sleep reboot halt cat ls minicmd"
).split()
# Run-time state moved to the data partition: image path -> where it lives.
DATA_SYMLINKS = {
    "etc/asterisk": "/data/etc/asterisk",
    "var/log": "/data/log",
    # the time zone the agent links there (clock/); tzdata's own link is replaced
    "etc/localtime": "/data/etc/localtime",
}


def load_config() -> dict[str, Any]:
    return tomllib.loads(ROOTFS_CONFIG.read_text())


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def tree_digest(*roots: Path) -> bytes:
    """Names, modes and contents of every file under roots (the cache key of a step)."""
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(oct(path.lstat().st_mode).encode())
            digest.update(path.read_bytes() if path.is_file() else str(path.readlink()).encode())
    return digest.digest()


def pin_preferences(config: dict[str, Any]) -> str:
    unstable = config["unstable"]
    return (
        "# Orpheus: unstable only for Asterisk and what it needs newer than trixie has.\n"
        f"Package: *\nPin: release n={unstable['suite']}\nPin-Priority: 100\n\n"
        f"Package: {' '.join(unstable['packages'])}\n"
        f"Pin: release n={unstable['suite']}\nPin-Priority: 990\n"
    )


def check_mirror(mirror: str) -> None:
    url = f"{mirror}/dists/{load_config()['suite']}/InRelease"
    try:
        request = urllib.request.Request(url, method="HEAD")  # noqa: S310 - http(s) mirror
        with urllib.request.urlopen(request, timeout=20):  # noqa: S310
            pass
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BuildError(f"no network to the package mirror {mirror}: {reason}") from error


def dpkg_path_options(config: dict[str, Any]) -> list[str]:
    """dpkg's path filters, excludes first: a later include takes a path back."""
    excludes = [f"--dpkgopt=path-exclude={p}" for p in config.get("dpkg_path_exclude", [])]
    includes = [f"--dpkgopt=path-include={p}" for p in config.get("dpkg_path_include", [])]
    return excludes + includes


# Part of the base's cache key: bases made before the essential packages' .debs were kept in
# the package cache (so their checksums are in the manifest) are made again.
BASE_FORMAT = b"essential .debs kept, dated and clamped to BASE_EPOCH"
# What maintainer scripts date the files they make by (SOURCE_DATE_EPOCH: the initramfs, the
# shadow file's password dates...), and the latest time any file of the base carries: the
# base depends on its package set only, never on the commit or the day that first built it
# (Debian 13's release, 2025-08-09).
BASE_EPOCH = 1754697600


def base_dir(ctx: BuildContext, mirror: str) -> Path:
    """Where the base of this package configuration and mirror is cached: the shared cache,
    or for a rebuild (REBUILD_FROM) its own build directory, so that a rebuild never takes
    another build's base."""
    # The clamp of its times is part of the base: a change to it makes the base again.
    key = _digest(ROOTFS_CONFIG.read_bytes(), mirror.encode(), BASE_FORMAT, CLAMP_CODE.read_bytes())
    parent = ctx.build_dir if ctx.rebuild_from is not None else ctx.cache_dir
    return parent / f"base-{key}"


def base_is_cached(ctx: BuildContext, mirror: str) -> bool:
    return (base_dir(ctx, mirror) / "etc/os-release").exists()


def source_lines(config: dict[str, Any], mirror: str) -> list[str]:
    unstable = config["unstable"]
    return [
        f"deb {mirror} {config['suite']} main",
        f"deb {unstable['source_options']} {mirror} {unstable['suite']} main",
    ]


def build_base(ctx: BuildContext, mirror: str, sources: list[str] | None = None) -> Path:
    """mmdebstrap of the package set, cached under build/cache by the package configuration.

    The caller has checked the mirror (check_mirror) when the base is not cached. sources
    replace the mirror's suites (a rebuild's local repository)."""
    config = load_config()
    base = base_dir(ctx, mirror)
    if base_is_cached(ctx, mirror):
        log.info("root filesystem base: cached (%s)", base.name)
        return base
    for stale in base.parent.glob("base-*"):
        shutil.rmtree(stale)
    apt_cache = ctx.cache_dir / "apt"
    apt_cache.mkdir(parents=True, exist_ok=True)
    prefs = ctx.cache_dir / "orpheus-pins"
    prefs.write_text(pin_preferences(config))
    unstable = config["unstable"]
    tmp = base.with_name(base.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    log.info("root filesystem base: mmdebstrap %s + %s", config["suite"], unstable["suite"])
    sources = sources or source_lines(config, mirror)
    run(
        [
            "mmdebstrap",
            f"--variant={config['variant']}",
            f"--include={','.join(config['packages'])}",
            # The essential packages' .debs stay for the package cache (the manifest's
            # checksums, REBUILD_FROM); the tree's own archive cache is emptied at the end.
            "--skip=essential/unlink",
            *dpkg_path_options(config),
            '--setup-hook=mkdir -p "$1/etc/apt/preferences.d" "$1/var/cache/apt/archives"',
            f"--setup-hook=copy-in {prefs} /etc/apt/preferences.d/",
            f"--setup-hook=sync-in {apt_cache} /var/cache/apt/archives/",
            f"--customize-hook=sync-out /var/cache/apt/archives {apt_cache}",
            config["suite"],
            tmp,
            *sources,
        ],
        log_file=ctx.log_dir / "mmdebstrap.log",
        env={**os.environ, "SOURCE_DATE_EPOCH": str(BASE_EPOCH)},
    )
    if sources != source_lines(config, mirror):
        # A rebuild's tree names the Debian mirror, as the release's did, not the local
        # repository it was made from (mmdebstrap writes the lines it was given).
        recorded = source_lines(config, config["mirror"])
        (tmp / "etc/apt/sources.list").write_text("\n\n".join(recorded) + "\n")
    # What mmdebstrap and the maintainer scripts created carries the hour they ran.
    clamp_times(tmp, BASE_EPOCH)
    tmp.rename(base)
    return base


def _chroot(root: Path, *argv: str) -> str:
    return run(["chroot", root, *argv])


def _replace_with_symlink(root: Path, relative: str, target: str) -> None:
    path = root / relative
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(target)


def _drop_apt_marks(root: Path) -> None:
    """apt's marks of automatically installed packages depend on how apt resolved the set (a
    rebuild from the release's own packages resolves it differently); nothing runs apt on
    the read-only root."""
    (root / "var/lib/apt/extended_states").unlink(missing_ok=True)


def _move_to_data(root: Path) -> None:
    """Package defaults that become per-unit state are kept as factory copies."""
    factory = root / FACTORY_DIR
    factory.mkdir(parents=True, exist_ok=True)
    shutil.move(root / "etc/asterisk", factory / "asterisk")
    for relative, target in DATA_SYMLINKS.items():
        _replace_with_symlink(root, relative, target)


def _remove_machine_identity(root: Path) -> None:
    """Host keys and machine-id are made on each unit at first boot, never shipped."""
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    _replace_with_symlink(root, "var/lib/dbus/machine-id", "/etc/machine-id")
    _replace_with_symlink(root, "etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf")
    for old in ("vmlinuz.old", "initrd.img.old"):
        (root / old).unlink(missing_ok=True)


def _install_agent(ctx: BuildContext, root: Path) -> None:
    dest = root / AGENT_DEST
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(
        ctx.source_dir / "agent/orpheus", dest, ignore=shutil.ignore_patterns("__pycache__")
    )
    # The root is read-only on the unit: byte-compile now so start-up does not pay for it.
    _chroot(root, "python3", "-m", "compileall", "-q", f"/{AGENT_DEST}")


def _write_release(ctx: BuildContext, root: Path) -> None:
    release = {
        "version": ctx.version,
        "build_date": ctx.build_date,
        "commit": ctx.commit,
        "compatible": COMPATIBLE,
        # The oldest firmware this one may be installed over, or replaced by (updates).
        "min_version": ctx.min_version,
    }
    path = root / "usr/lib/orpheus/release.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(release, indent=2) + "\n")
    os_release = root / "usr/lib/os-release"
    lines = [line for line in os_release.read_text().splitlines() if not line.startswith("IMAGE_")]
    lines += ["IMAGE_ID=orpheus", f"IMAGE_VERSION={ctx.version}"]
    os_release.write_text("\n".join(lines) + "\n")


def _install_update_config(ctx: BuildContext, root: Path) -> None:
    rauc_dir = root / "etc/rauc"
    rauc_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ctx.source_dir / "update/system.conf", rauc_dir / "system.conf")
    shutil.copy(keys.keyring(ctx), rauc_dir / "keyring.pem")
    shutil.copy(keys.license_public_key(ctx), root / LICENSE_PUBLIC_KEY)
    shutil.copy(keys.factory_public_key(ctx), root / FACTORY_PUBLIC_KEY)
    efi = root / GRUB_EFI
    efi.parent.mkdir(parents=True, exist_ok=True)
    _chroot(
        root, "grub-mkimage", "-O", "x86_64-efi", "-p", "/EFI/BOOT", "-o", f"/{GRUB_EFI}",
        *GRUB_MODULES,
    )  # fmt: skip


def _set_units(root: Path, units: dict[str, list[str]]) -> None:
    for verb in ("enable", "disable", "mask"):
        if units.get(verb):
            _chroot(root, "systemctl", verb, "--quiet", *units[verb])


def _install_ha_scripts(ctx: BuildContext, root: Path) -> None:
    """keepalived's track script (ha/), where the agent's keepalived.conf points."""
    target = root / "usr/lib/orpheus/ha"
    target.mkdir(parents=True, exist_ok=True)
    for script in sorted((ctx.source_dir / "ha").glob("orpheus-*")):
        shutil.copy2(script, target / script.name)
        (target / script.name).chmod(0o755)


def customize(ctx: BuildContext, base: Path) -> Path:
    """Copy of the base with the overlay, the agent, RAUC's config and the release laid over."""
    config = load_config()
    overlay = ctx.source_dir / "rootfs_overlay"
    stamp_value = _digest(
        base.name.encode(),
        tree_digest(
            overlay, *(ctx.source_dir / name for name in ("agent/orpheus", "update", "ha"))
        ),
        ROOTFS_CONFIG.read_bytes(),
        keys.keyring(ctx).read_bytes(),
        keys.license_public_key(ctx).read_bytes(),
        keys.factory_public_key(ctx).read_bytes(),
        f"{ctx.version} {ctx.build_epoch} {ctx.commit} {ctx.min_version}".encode(),
        # how the tree is laid: a builder change lays it again (about 40 s)
        *(path.read_bytes() for path in LAYING_CODE),
    )
    stamp = ctx.build_dir / "rootfs.stamp"
    if ctx.rootfs_dir.is_dir() and stamp.exists() and stamp.read_text() == stamp_value:
        log.info("root filesystem: up to date")
        return ctx.rootfs_dir
    stamp.unlink(missing_ok=True)
    tmp = ctx.build_dir / "rootfs.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    log.info("root filesystem: laying Orpheus over the base")
    run(["cp", "-a", "--reflink=auto", base, tmp])
    _move_to_data(tmp)
    _remove_machine_identity(tmp)
    _drop_apt_marks(tmp)
    shutil.copytree(overlay, tmp, symlinks=True, dirs_exist_ok=True)
    for mountpoint in ("data", "boot/efi"):
        (tmp / mountpoint).mkdir(parents=True, exist_ok=True)
    _install_agent(ctx, tmp)
    _install_ha_scripts(ctx, tmp)
    _install_update_config(ctx, tmp)
    _write_release(ctx, tmp)
    _set_units(tmp, config["units"])
    installed = _chroot(tmp, "dpkg-query", "-W", "-f", packages.DPKG_FORMAT)
    (ctx.build_dir / "rootfs.packages.tsv").write_text(installed)
    clamp_times(tmp, ctx.build_epoch)
    shutil.rmtree(ctx.rootfs_dir, ignore_errors=True)
    tmp.rename(ctx.rootfs_dir)
    stamp.write_text(stamp_value)
    return ctx.rootfs_dir


def read_packages(ctx: BuildContext) -> list[packages.Package]:
    """The laid tree's packages, each with the SHA-256 of its .deb in the package cache."""
    installed = packages.parse_installed((ctx.build_dir / "rootfs.packages.tsv").read_text())
    return packages.with_checksums(installed, ctx.cache_dir / "apt")
