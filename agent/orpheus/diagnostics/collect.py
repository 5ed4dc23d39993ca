"""What goes into the system report: commands through the runner, the agent's own status
sections, Asterisk through its adapter, and the configuration files, all redacted."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from orpheus import runner
from orpheus.asterisk.adapter import Asterisk
from orpheus.diagnostics.archive import PART_LIMIT, Archive
from orpheus.diagnostics.redaction import SECRET_KEY, Redactor

Section = Callable[[], Any]
JOURNAL_LINES = "20000"
COMMANDS: dict[str, list[str]] = {
    "firmware/rauc-status.txt": ["rauc", "status", "--detailed"],
    "journal/current-boot.txt": ["journalctl", "-b", "0", "--no-pager", "-q", "-n", JOURNAL_LINES],
    "journal/previous-boot.txt": [
        "journalctl",
        "-b",
        "-1",
        "--no-pager",
        "-q",
        "-n",
        JOURNAL_LINES,
    ],
    "network/addresses.json": ["ip", "-j", "address", "show"],
    "network/routes.json": ["ip", "-j", "route", "show", "table", "all"],
    "network/nftables.txt": ["nft", "list", "ruleset"],
}
ASTERISK: dict[str, str] = {
    "asterisk/version.txt": "core show version",
    "asterisk/modules.txt": "module show",
    "asterisk/endpoints.txt": "pjsip show endpoints",
    "asterisk/channels.txt": "core show channels verbose",
}
# Never read: key material is not redacted, it is left out whole.
_KEY_FILE_SUFFIXES = {".pem", ".key", ".crt", ".p12", ".der", ".age"}
_TEXT_SUFFIXES = {".json", ".conf", ".toml", ".cfg", ".ini", ""}


def as_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


def config_files(roots: Iterable[Path]) -> list[Path]:
    """The agent's configuration files under roots, without key files (by name or suffix)."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file() or SECRET_KEY.fullmatch(path.stem):
                continue  # a file named for a secret (initial-admin-password) holds only it
            if path.suffix.lower() in _KEY_FILE_SUFFIXES or path.suffix not in _TEXT_SUFFIXES:
                continue
            found.append(path)
    return found


def collect(
    archive: Archive,
    redactor: Redactor,
    sections: dict[str, Section],
    asterisk: Asterisk,
    config_roots: dict[str, Path],
    data_dir: Path,
) -> None:
    """Fills archive; a part that cannot be had is listed in MISSING.txt with why."""
    texts: dict[str, str] = {}
    # Configuration first: the secrets it holds are remembered and scrubbed from the rest.
    for label, root in config_roots.items():
        for path in config_files([root]):
            name = f"config/{label}/{path.relative_to(root)}"
            try:
                raw = path.read_bytes()[:PART_LIMIT].decode("utf-8", "replace")
            except OSError as error:
                archive.add_missing(name, f"cannot read: {error.strerror}")
                continue
            texts[name] = redactor.document(raw)
    for name, section in sections.items():
        try:
            value = as_json(section())
        except Exception as error:  # noqa: BLE001 - a failing status source is a finding, not a stop
            archive.add_missing(name, f"failed: {error}")
            continue
        texts[name] = json.dumps(redactor.json_value(value), indent=2, default=str)
    commands = {**COMMANDS, "storage/df.txt": ["df", "-P", "-h", "/", str(data_dir)]}
    for name, argv in commands.items():
        try:
            texts[name] = runner.run(argv, timeout=60).stdout
        except runner.CommandError as error:
            archive.add_missing(name, str(error))
    for name, command in ASTERISK.items():
        try:
            texts[name] = asterisk.cli(command)
        except Exception as error:  # noqa: BLE001 - Asterisk stopped: the rest still matters
            archive.add_missing(name, f"asterisk {command!r}: {error}")
    for name, text in texts.items():
        archive.add(name, redactor.scrub(text).encode())
