"""Putting rendered configuration into the running Asterisk: files, reloads through AMI, checks.

Only the modules whose files changed are reloaded (a reload keeps calls in progress). After a
reload the agent checks that Asterisk took the configuration (every endpoint exists, the
dialplan carries the new serial, every queue exists); if not, the previous files are put back
and reloaded, so the previous configuration stays active. When Asterisk is not running the
files are left for it to read when it starts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from orpheus.asterisk import ami, parsers
from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.files import FileGroup, write_file
from orpheus.pbx.render import (
    CALL_GROUP,
    DIALPLAN_FILE,
    MANAGER_FILE,
    PJSIP_FILE,
    QUEUES_FILE,
)

log = logging.getLogger(__name__)

RELOAD_MODULES = {
    PJSIP_FILE: "res_pjsip.so",
    DIALPLAN_FILE: "pbx_config.so",
    QUEUES_FILE: "app_queue.so",
}
# Files the agent does not render (synced from an HA peer): by name prefix; others reload all.
RELOAD_PREFIXES = {"pjsip": "res_pjsip.so", "extensions": "pbx_config.so", "queues": "app_queue.so",
                   "pjsip-tls": "res_pjsip.so"}  # fmt: skip
RELOAD_ALL = ""


class ReloadRejected(RuntimeError):
    """Asterisk did not take the new configuration; the previous one was put back."""


@dataclass(frozen=True)
class Expected:
    """What Asterisk must show after the reload for the configuration to count as applied."""

    endpoints: frozenset[str]
    serial: int
    queues: frozenset[str]


@dataclass(frozen=True)
class ApplyResult:
    applied: bool  # False: Asterisk is not running; it reads the files when it starts
    reloaded: tuple[str, ...]
    detail: str


def modules_to_reload(names: Sequence[str]) -> tuple[str, ...]:
    """Modules that read the given files (relative to Asterisk's configuration directory);
    RELOAD_ALL when one is not known. manager.conf is node-local and never synced."""
    modules: list[str] = []
    for name in names:
        if name == MANAGER_FILE:
            continue
        prefix = name.split("/", 1)[0].split(".", 1)[0]
        module = RELOAD_MODULES.get(name) or RELOAD_PREFIXES.get(prefix, RELOAD_ALL)
        if module == RELOAD_ALL:
            return (RELOAD_ALL,)
        if module not in modules:
            modules.append(module)
    return tuple(modules)


def load_ami_secret(path: Path) -> str:
    if not path.exists():
        write_file(path, secrets.token_hex(16) + "\n", mode=0o600)
    return path.read_text().strip()


class AsteriskApplier:
    def __init__(self, asterisk_dir: Path, asterisk: Asterisk) -> None:
        if asterisk.manager_login is None:
            raise ValueError("the PBX applies its changes over AMI: give Asterisk a login")
        self.asterisk_dir = asterisk_dir
        self.asterisk = asterisk

    # -- files -------------------------------------------------------------------------------
    def read_current(self, names: Sequence[str]) -> dict[str, str | None]:
        current: dict[str, str | None] = {}
        for name in names:
            try:
                current[name] = (self.asterisk_dir / name).read_text()
            except FileNotFoundError:
                current[name] = None
        return current

    def _stage(self, group: FileGroup, files: dict[str, str]) -> None:
        """Asterisk reads its files as its own user: 0640, owned like the directory."""
        owner = self.asterisk_dir.stat()
        for name, text in files.items():
            path = self.asterisk_dir / name
            group.write(path, text, mode=0o640, owner=owner.st_uid, group=owner.st_gid)

    # -- Asterisk ----------------------------------------------------------------------------
    def _connect(self) -> AbstractContextManager[ami.AmiConnection]:
        return self.asterisk.manager()

    def ensure_manager(self) -> None:
        """AMI answers with the agent's user; at first start Asterisk may still run the factory
        manager.conf, so the rendered one (orpheus.ami_users) is loaded through the console."""
        try:
            with self._connect():
                return
        except AsteriskUnavailable:
            self.asterisk.reload_module("manager")
        with self._connect():
            return

    def apply(self, files: dict[str, str], expected: Expected) -> ApplyResult:
        with self.applying(files, expected) as result:
            return result

    @contextmanager
    def applying(self, files: dict[str, str], expected: Expected) -> Iterator[ApplyResult]:
        """Puts every changed file in place (all or none: a full disk raises DiskFull with no
        file changed) and reloads; the files stay if the block (e.g. the store commit) ends
        normally, otherwise the previous files are put back and reloaded."""
        previous = self.read_current(list(files))
        changed = [name for name, text in files.items() if previous[name] != text]
        modules = tuple(RELOAD_MODULES[name] for name in changed if name in RELOAD_MODULES)
        with FileGroup() as group:
            self._stage(group, {name: files[name] for name in changed})
            group.commit()
            result = self._reload_and_check(changed, modules, expected, group)
            try:
                yield result
            except BaseException:
                group.rollback()
                if result.applied:
                    self._reload_quietly(modules)
                raise

    def _reload_and_check(
        self, changed: Sequence[str], modules: tuple[str, ...], expected: Expected, group: FileGroup
    ) -> ApplyResult:
        try:
            self.ensure_manager()
            with self._connect() as connection:
                self._reload(connection, modules)
                problem = self._check(connection, expected)
                if problem is None:
                    return ApplyResult(True, modules, "applied")
                group.rollback()
                self._reload(connection, modules)
        except AsteriskUnavailable as error:
            return ApplyResult(False, (), f"Asterisk is not running ({error})")
        raise ReloadRejected(
            f"Asterisk rejected the change ({problem}); the previous configuration stays active"
        )

    def _reload_quietly(self, modules: Sequence[str]) -> None:
        """After putting the previous files back: Asterisk reads them again if it can."""
        try:
            with self._connect() as connection:
                self._reload(connection, modules)
        except AsteriskUnavailable as error:
            log.warning("reload after putting the previous files back: %s", error)

    def put(self, files: dict[str, str]) -> ApplyResult:
        """Writes files of another part of the agent (the firewall's SIP ACL) and reloads what
        reads the changed ones, unchecked: what they hold is not in Expected. Raises OSError
        (DiskFull) with no file changed."""
        previous = self.read_current(list(files))
        changed = {name: text for name, text in files.items() if previous[name] != text}
        if not changed:
            return ApplyResult(True, (), "unchanged")
        for name in changed:
            (self.asterisk_dir / name).parent.mkdir(parents=True, exist_ok=True)
        with FileGroup() as group:
            self._stage(group, changed)
            group.commit()
        return self.reload_files(list(changed))

    def reload_files(self, names: Sequence[str]) -> ApplyResult:
        """Reloads what reads files written by someone else (an HA peer's sync), unchecked:
        the peer's Asterisk already took them."""
        modules = modules_to_reload(names)
        if not modules:
            return ApplyResult(True, (), "nothing to reload")
        try:
            self.ensure_manager()
            with self._connect() as connection:
                self._reload(connection, modules)
        except AsteriskUnavailable as error:
            return ApplyResult(False, (), f"Asterisk is not running ({error})")
        return ApplyResult(True, modules, "reloaded")

    @staticmethod
    def _reload(connection: ami.AmiConnection, modules: Sequence[str]) -> None:
        for module in modules:
            try:
                if module == RELOAD_ALL:
                    connection.action("Reload")
                else:
                    connection.action("Reload", Module=module)
            except ami.AmiError as error:
                log.warning("reload of %s: %s", module or "all modules", error)

    @staticmethod
    def _check(connection: ami.AmiConnection, expected: Expected) -> str | None:
        present = set(
            parsers.parse_endpoints("\n".join(connection.command("pjsip show endpoints")))
        )
        missing = sorted(expected.endpoints - present)
        if missing:
            return f"SIP endpoint(s) not loaded: {', '.join(missing[:5])}"
        try:
            answer, _ = connection.action("Getvar", Variable="ORPHEUS_CONFIG_SERIAL")
        except ami.AmiError as error:
            return f"dialplan not loaded: {error}"
        if answer.get("Value") != str(expected.serial):
            return "dialplan not loaded"
        queues = parsers.parse_queues("\n".join(connection.command("queue show")))
        missing = sorted(expected.queues - queues)
        if missing:
            return f"queue(s) not loaded: {', '.join(missing)}"
        return None

    def counted_calls(self) -> int | None:
        """Calls in the licence's limit group now; None when Asterisk is not running."""
        return self.asterisk.group_count(CALL_GROUP)
