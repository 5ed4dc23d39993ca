"""The checks a freshly booted slot must pass before it is marked good.

The agent itself answering (this code runs), Asterisk answering (the status feature's
check), Asterisk listening for SIP, the data partition mounted read-write and the
configuration present. Each check returns (ok, reason).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

Check = Callable[[], tuple[bool, str]]
SIP_PORT = 5060
# A test-only build option (builder: --test-option break-health) leaves this file behind.
BREAK_MARKER = Path("/usr/lib/orpheus/test-break-health")


def sip_listening(proc_net: Path = Path("/proc/net"), port: int = SIP_PORT) -> tuple[bool, str]:
    wanted = f":{port:04X}"
    for name in ("udp", "udp6", "tcp", "tcp6"):
        try:
            lines = (proc_net / name).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(line.split()[1].endswith(wanted) for line in lines if len(line.split()) > 1):
            return True, "ok"
    return False, f"nothing listens for SIP on port {port}"


def data_writable(data_dir: Path) -> tuple[bool, str]:
    if not os.path.ismount(data_dir):
        return False, f"{data_dir} is not mounted"
    if os.statvfs(data_dir).f_flag & os.ST_RDONLY:
        return False, f"{data_dir} is mounted read-only"
    return True, "ok"


def config_present(config_file: Path) -> tuple[bool, str]:
    if not config_file.is_file():
        return False, f"configuration missing: {config_file}"
    return True, "ok"


def not_broken(marker: Path = BREAK_MARKER) -> tuple[bool, str]:
    if marker.exists():
        return False, "test build: health check broken on purpose"
    return True, "ok"


def all_of(checks: Sequence[Check]) -> Check:
    def combined() -> tuple[bool, str]:
        for check in checks:
            ok, reason = check()
            if not ok:
                return False, reason
        return True, "ok"

    return combined
