"""Host tools the build needs, installed with apt when missing (fast when all are present)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from builder.errors import BuildError

log = logging.getLogger("builder")

# command or file -> Debian package that provides it
BUILD_TOOLS = {
    "mmdebstrap": "mmdebstrap",
    "genimage": "genimage",
    "bmaptool": "bmap-tools",
    "mke2fs": "e2fsprogs",
    "mkdosfs": "dosfstools",
    "mcopy": "mtools",
    "qemu-img": "qemu-utils",
    "openssl": "openssl",
    "rauc": "rauc",
    "mksquashfs": "squashfs-tools",
    "zstd": "zstd",
    "sfdisk": "fdisk",
    "arch-test": "arch-test",
}
RUN_TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "/usr/share/OVMF/OVMF_CODE_4M.fd": "ovmf",
    "ssh": "openssh-client",
    "sipp": "sip-tester",
    "snmpwalk": "snmp",
    "snmpd": "snmpd",
    "snmptrapd": "snmptrapd",
    "smilint": "smitools",
    "grub-editenv": "grub-common",
    "dbus-daemon": "dbus-daemon",  # tests/dbus: the D-Bus wrappers against stand-in services
    "age": "age",  # tests/unit/privacy: the agent's age files against the reference tool
    # tests/web: the admin page in a real browser (testbed/browser.py), driven by selenium
    "/usr/bin/chromium": "chromium",
    "/usr/bin/chromedriver": "chromium-driver",
    # the agent's firewall (libnftables' JSON API) in the venv (Makefile) and tests/firewall
    "/usr/lib/python3/dist-packages/nftables/__init__.py": "python3-nftables",
    "nft": "nftables",
    "tcpdump": "tcpdump",  # tests/capture: the agent's captures (read back with tcpdump -r)
    # tests/unit/storage/test_check.py: the drives' checkers on image files
    "debugfs": "e2fsprogs",
    "fsck.exfat": "exfatprogs",
    # testbed/nas_servers.py: real NAS servers on the host's loopback (tests/storage_servers)
    "smbd": "samba",
    "smbpasswd": "samba-common-bin",
    "smbclient": "smbclient",
    "ganesha.nfsd": "nfs-ganesha",
    "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so": "nfs-ganesha-vfs",
    "nfs-ls": "libnfs-utils",
}


def _present(tool: str) -> bool:
    return Path(tool).exists() if tool.startswith("/") else shutil.which(tool) is not None


def _apt_install(packages: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def ensure(tools: dict[str, str]) -> None:
    missing = {tool: pkg for tool, pkg in tools.items() if not _present(tool)}
    if not missing:
        return
    packages = sorted(set(missing.values()))
    if os.geteuid() != 0:
        raise BuildError(f"missing host tools {sorted(missing)}: run as root to install {packages}")
    log.info("installing host packages: %s", " ".join(packages))
    result = _apt_install(packages)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        result = _apt_install(packages)
    still = sorted(tool for tool in missing if not _present(tool))
    if result.returncode != 0 or still:
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[-1] if lines else "unknown reason"
        raise BuildError(f"missing host tool(s) {', '.join(still)}: apt-get failed: {reason}")
