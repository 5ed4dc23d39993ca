"""A USB volume mounted by UUID as a transient systemd mount unit, over D-Bus.

systemd owns the mount: the unit binds to the device (`/dev/disk/by-uuid/...`), so a drive
pulled out stops it, and LazyUnmount detaches the filesystem at once even while a file on it
is open (the copy that was writing gets EIO and ends its job). The unit's name is systemd's
escape of the mount point, made only from a checked UUID (devices.checked_uuid).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

from orpheus.dbus.systemd import Systemd, SystemdError, UnitProperty
from orpheus.storage.devices import UsbVolume
from orpheus.storage.nas import BadNas, NasSpec

log = logging.getLogger(__name__)

# No device nodes, set-id programs or executables from a drive anyone can plug in; no
# access-time writes (flash wear).
MOUNT_OPTIONS = ("nodev", "nosuid", "noexec", "noatime")

# NFS: v4.1, soft (EIO instead of a hang), 5 s per try (timeo is in tenths), 2 retries.
# Not 4.2: Linux 6.12's client reads with READ_PLUS there, and against nfs-ganesha 4.3 every
# uncached read failed with EIO (tests/qemu/test_nas.py found it; the verified copy refused
# each recording). 4.1 has what the recordings need.
NFS_OPTIONS = ("vers=4.1", "soft", "timeo=50", "retrans=2")
# SMB 3.0, soft, the server pinged every 10 s (a dead one is noticed in about 2 pings); no
# owners on the share: root alone reads what the agent writes there.
SMB_OPTIONS = ("vers=3.0", "soft", "echo_interval=10")
_SMB_OWNERS = ("uid=0", "gid=0", "file_mode=0600", "dir_mode=0700")
MOUNT_TIMEOUT_USEC = 15_000_000  # the mount unit's TimeoutSec=: a dead NAS fails in 15 s
# vfat and exFAT have no owners: root alone may read what the agent writes there.
_NO_OWNERS = ("uid=0", "gid=0", "fmask=0177", "dmask=0077")
_KEPT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.")


class MountError(RuntimeError):
    """A volume that could not be mounted or unmounted; one line."""


class Mounter(Protocol):
    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None: ...

    def unmount(self, where: Path) -> None: ...


class NasMounter(Protocol):
    """Mounts a NAS (nas.py); credentials: the SMB credentials file, None for NFS."""

    def mount_nas(self, spec: NasSpec, where: Path, credentials: Path | None) -> None: ...

    def unmount(self, where: Path) -> None: ...


def unit_name(where: Path) -> str:
    """systemd's name for the mount unit of an absolute path (`systemd-escape --path
    --suffix=mount`): '/' becomes '-', other characters but [A-Za-z0-9:_.] are \\xNN."""
    if not where.is_absolute():
        raise ValueError(f"not an absolute path: {where}")
    parts = ["".join(c if c in _KEPT else _hex(c) for c in part) for part in where.parts[1:]]
    if not parts:
        return "-.mount"
    escaped = "-".join(parts)  # only a leading dot of the whole name is escaped
    return ("\\x2e" + escaped[1:] if escaped.startswith(".") else escaped) + ".mount"


def _hex(character: str) -> str:
    return "".join(f"\\x{byte:02x}" for byte in character.encode())


def mount_options(volume: UsbVolume, *, read_only: bool) -> str:
    options = list(MOUNT_OPTIONS)
    if volume.fs_type in ("vfat", "exfat"):
        options += _NO_OWNERS
    options.append("ro" if read_only else "rw")
    return ",".join(options)


def unit_properties(volume: UsbVolume, where: Path, *, read_only: bool) -> list[UnitProperty]:
    return [
        ("Description", "s", f"Orpheus recordings storage {volume.name}"),
        ("What", "s", volume.by_uuid),
        ("Where", "s", str(where)),
        ("Type", "s", volume.fs_type),
        ("Options", "s", mount_options(volume, read_only=read_only)),
        ("LazyUnmount", "b", True),
        ("TimeoutUSec", "t", 30_000_000),
    ]


def nas_options(spec: NasSpec, credentials: Path | None, *, read_only: bool = False) -> str:
    """The mount options (-o), exactly; built only from checked fields."""
    port = [] if spec.port is None else [f"port={spec.port}"]  # both take port=N
    if spec.kind == "nfs":
        options = [*NFS_OPTIONS, *port, *MOUNT_OPTIONS, "_netdev"]
    else:
        if credentials is None:
            raise BadNas(f"{spec.name}: an SMB share needs its credentials file")
        options = [*SMB_OPTIONS, *port, *MOUNT_OPTIONS, "_netdev", f"credentials={credentials}",
                   *_SMB_OWNERS]  # fmt: skip
    options.append("ro" if read_only else "rw")
    return ",".join(options)


def nas_unit_properties(
    spec: NasSpec, where: Path, credentials: Path | None, *, read_only: bool = False
) -> list[UnitProperty]:
    return [
        ("Description", "s", f"Orpheus recordings storage {spec.name}"),
        ("What", "s", spec.source),
        ("Where", "s", str(where)),
        ("Type", "s", spec.fs_type),
        ("Options", "s", nas_options(spec, credentials, read_only=read_only)),
        ("LazyUnmount", "b", True),
        ("ForceUnmount", "b", True),  # a dead server does not hold the unmount either
        ("CollectMode", "s", "inactive-or-failed"),  # a failed mount can be tried again
        ("TimeoutUSec", "t", MOUNT_TIMEOUT_USEC),
    ]


class SystemdMounts:
    """Mounter over systemd's D-Bus API (the unit's systemd; not on a development host)."""

    def __init__(self, systemd: Systemd) -> None:
        self._systemd = systemd

    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None:
        if not volume.uuid or not volume.supported:
            raise MountError(f"{volume.name}: {volume.fs_type} is not mounted by the agent")
        if os.path.ismount(where):  # the unit outlives an agent restart: still mounted
            return
        properties = unit_properties(volume, where, read_only=read_only)
        try:
            self._systemd.start_transient_unit(unit_name(where), properties)
        except SystemdError as error:
            raise MountError(f"cannot mount {volume.name} ({volume.device}): {error}") from error

    def mount_nas(self, spec: NasSpec, where: Path, credentials: Path | None) -> None:
        """Never a syscall on the mount point (a dead NAS would hang it): systemd's view."""
        unit = unit_name(where)
        try:
            if self._systemd.active_state(unit) == "active":  # outlived an agent restart
                return
            where.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._systemd.start_transient_unit(unit, nas_unit_properties(spec, where, credentials))
        except SystemdError as error:
            raise MountError(f"cannot mount {spec.name} ({spec.source}): {error}") from error
        except OSError as error:
            raise MountError(f"cannot mount {spec.name}: {error}") from error

    def unmount(self, where: Path) -> None:
        try:
            self._systemd.stop_unit(unit_name(where))
        except SystemdError as error:
            raise MountError(f"cannot unmount {where}: {error}") from error
