"""Asterisk's side: cdr.conf, cdr_manager.conf and cdr_custom.conf rendered (the factory
copies are the same text), cdr_manager and cdr_custom (to RAM) loaded, and any CDR backend
writing to a disk that runs unloaded; the factory modules.conf does not load those, and the
agent's AMI account reads the `cdr` class."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.ami_users.manager_conf import render
from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.cdr.asterisk_side import (
    CDR_CONF,
    CDR_MANAGER_CONF,
    FILE_BACKENDS,
    CdrSwitch,
    render_cdr,
    render_cdr_manager,
)
from orpheus.cdr.spool import CDR_CUSTOM_CONF, render_cdr_custom
from testbed.paths import SOURCE_DIR

FACTORY = SOURCE_DIR / "rootfs_overlay/usr/share/orpheus/factory/asterisk"


class FakeAsterisk(Asterisk):
    def __init__(self, running: set[str]) -> None:
        super().__init__(["/bin/false"])
        self.running = running
        self.commands: list[str] = []
        self.manager_loads = True

    def cli(self, command: str) -> str:
        self.commands.append(command)
        verb, _, module = command.removeprefix("module ").partition(" ")
        if verb == "unload":
            self.running.discard(module)
        if verb == "load" and self.manager_loads:
            self.running.add(module)
        if command.startswith("module show like "):
            like = command.removeprefix("module show like ")
            head = "Module  Description  Use Count  Status  Support Level\n"
            names = [*FILE_BACKENDS, "cdr_manager.so", "cdr_custom.so", "cdr_pgsql.so"]
            return head + "".join(
                f"{name}  x  0  {'Running' if name in self.running else 'Not Running'}  core\n"
                for name in names
                if like in name
            )
        return ""


def test_files_rendered_manager_loaded_file_backends_unloaded(tmp_path: Path) -> None:
    asterisk = FakeAsterisk({"cdr_csv.so", "cel_custom.so"})
    switch = CdrSwitch(tmp_path, asterisk)
    switch.ensure()
    assert (tmp_path / CDR_MANAGER_CONF).read_text() == render_cdr_manager()
    assert (tmp_path / CDR_CONF).read_text() == render_cdr()
    assert (tmp_path / CDR_CUSTOM_CONF).read_text() == render_cdr_custom()
    assert (tmp_path / CDR_CONF).stat().st_mode & 0o777 == 0o640
    assert asterisk.running == {"cdr_manager.so", "cdr_custom.so"}
    assert "module reload cdr" in asterisk.commands
    asterisk.commands.clear()
    switch.ensure()  # nothing changed: nothing reloaded
    assert not [c for c in asterisk.commands if not c.startswith("module show")]


def test_a_manager_that_does_not_load_is_said(tmp_path: Path) -> None:
    asterisk = FakeAsterisk(set())
    asterisk.manager_loads = False
    with pytest.raises(AsteriskUnavailable, match=r"cdr_manager\.so did not load"):
        CdrSwitch(tmp_path, asterisk).ensure()


def test_factory_files() -> None:
    assert (FACTORY / CDR_MANAGER_CONF).read_text() == render_cdr_manager()
    assert (FACTORY / CDR_CONF).read_text() == render_cdr()
    assert (FACTORY / CDR_CUSTOM_CONF).read_text() == render_cdr_custom()
    modules = (FACTORY / "modules.conf").read_text()
    for module in FILE_BACKENDS:
        assert f"noload => {module}\n" in modules
    assert "noload => cdr_custom.so" not in modules  # it writes to RAM only: on from the boot
    text = render(ManagerLogin(5038, "orpheus", "secret"), [])
    assert "read=system,call,command,reporting,agent,security,cdr\n" in text
