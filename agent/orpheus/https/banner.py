"""The console's login banner: the unit's serial, its HTTPS address and the certificate's
fingerprint, so the installer in front of the box can check what the browser shows.

The agent writes run_dir/issue; the image links /etc/issue.d/orpheus.issue to it, which agetty
prints under /etc/issue before each login prompt. agetty fills in `\\4` with the address of the
first interface that is up, at each prompt (so a DHCP change shows without the agent), and
`agetty --reload` makes prompts already shown print the banner again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from orpheus import files, runner

log = logging.getLogger(__name__)

RELOAD_TIMEOUT_SECONDS = 5.0
_FINGERPRINT_LINE = 48  # 16 bytes of the colon-separated fingerprint per line


def render(serial: str | None, fingerprint: str | None, https_port: int) -> str:
    """The banner's text; backslashes of values are doubled (agetty's escapes are ours)."""
    port = "" if https_port == 443 else f":{https_port}"
    lines = [
        f"Orpheus IP-PBX, serial {_literal(serial or 'not set')}",
        f"  Web administration: https://\\4{port}/",
        "  HTTPS certificate SHA-256 fingerprint:",
    ]
    shown = _literal(fingerprint or "none (HTTPS is not served)")
    lines += [
        f"    {shown[i : i + _FINGERPRINT_LINE]}" for i in range(0, len(shown), _FINGERPRINT_LINE)
    ]
    return "\n".join(lines) + "\n\n"


def _literal(value: str) -> str:
    return value.replace("\\", "\\\\")


def write(path: Path, text: str, reload_command: Sequence[str]) -> None:
    """Writes the banner and asks agetty to show it; a failure is logged (the API serves on)."""
    try:
        files.write_file(path, text, mode=0o644)
    except OSError as error:
        log.error("console banner not written: %s", error)
        return
    if reload_command:
        try:
            runner.run(list(reload_command), timeout=RELOAD_TIMEOUT_SECONDS)
        except runner.CommandError as error:
            log.info("console banner written, prompts not reloaded: %s", error)
