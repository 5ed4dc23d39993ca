"""Asterisk's side of the call detail records: cdr_manager and cdr_custom (to RAM) on, every
backend that writes records to a disk off.

cdr.conf, cdr_manager.conf and cdr_custom.conf are rendered by the agent (the factory files
are the same text, for the boot before the agent's first start). cdr_manager sends each
record as an AMI `Cdr` event to the sessions reading the `cdr` class (the agent's account
does, manager.conf), with the start, answer and end as epochs (its [mappings]: Asterisk's
own time fields are in local time). cdr_custom appends each one to a file in RAM that the
agent drains (spool.py), for the records of calls ending while the agent is not connected.
The backends that write records to files on a disk (cdr_csv's Master.csv, cdr_sqlite3_custom,
and CEL's file backends) are `noload` in the factory modules.conf; a unit whose modules.conf
is older gets them unloaded each time the agent connects.
"""

from __future__ import annotations

import logging
from pathlib import Path

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.capture.hep_asterisk import module_running
from orpheus.cdr.spool import CDR_CUSTOM, CDR_CUSTOM_CONF, render_cdr_custom
from orpheus.files import DiskFull, write_file

log = logging.getLogger(__name__)

CDR_CONF = "cdr.conf"
CDR_MANAGER_CONF = "cdr_manager.conf"
CDR_MANAGER = "cdr_manager.so"
# Every installed backend that writes records to a file on a disk or a local database
# (cdr_custom writes only the agent's file in RAM: spool.py).
FILE_BACKENDS = (
    "cdr_csv.so",
    "cdr_sqlite3_custom.so",
    "cel_custom.so",
    "cel_sqlite3_custom.so",
)
_HEADER = "; Rendered by the Orpheus agent (cdr/asterisk_side.py): edits here are lost.\n"


def render_cdr() -> str:
    """Records for calls not answered too (busy, no answer, congestion): the disposition
    filter needs them. No [csv] section: cdr_csv is not loaded."""
    return _HEADER + "[general]\nenable=yes\nunanswered=yes\ncongestion=yes\n"


def render_cdr_manager() -> str:
    return (
        _HEADER + "[general]\nenabled=yes\n\n[mappings]\n"
        "start,u => StartEpoch\n"
        "answer,u => AnswerEpoch\n"
        "end,u => EndEpoch\n"
    )


class CdrSwitch:
    def __init__(self, asterisk_dir: Path, asterisk: Asterisk) -> None:
        self._dir = asterisk_dir
        self._asterisk = asterisk

    def write_files(self) -> list[str]:
        """Writes the files that differ; their names."""
        changed = []
        for name, text in (
            (CDR_CONF, render_cdr()),
            (CDR_MANAGER_CONF, render_cdr_manager()),
            (CDR_CUSTOM_CONF, render_cdr_custom()),
        ):
            path = self._dir / name
            try:
                if path.read_text() == text:
                    continue
            except FileNotFoundError:
                pass
            owner = self._dir.stat()
            write_file(path, text, mode=0o640, owner=owner.st_uid, group=owner.st_gid)
            changed.append(name)
        return changed

    def ensure(self) -> None:
        """The files rendered, cdr_manager and cdr_custom running with them, no file backend
        running; raises AsteriskUnavailable (or OSError) when that cannot be done now."""
        try:
            changed = self.write_files()
        except DiskFull as error:
            raise OSError(str(error)) from error
        shown = self._asterisk.cli("module show like cdr")
        shown += self._asterisk.cli("module show like cel")
        for module in FILE_BACKENDS:
            if module_running(shown, module):
                log.warning("Asterisk ran %s (a plain CDR file): unloaded", module)
                self._asterisk.unload_module(module)
        if CDR_CONF in changed:
            self._asterisk.reload_module("cdr")  # the CDR engine: a core part
        for module, conf in ((CDR_MANAGER, CDR_MANAGER_CONF), (CDR_CUSTOM, CDR_CUSTOM_CONF)):
            if not module_running(shown, module):
                self._asterisk.load_module(module)
            elif conf in changed:
                self._asterisk.reload_module(module)
            if not module_running(self._asterisk.cli(f"module show like {module}"), module):
                raise AsteriskUnavailable(f"{module} did not load")
