"""The configuration schema store as root: a rollback's restore keeps owners and modes
(chown needs root, so this lives with the integration tests, not in tests/unit)."""

from __future__ import annotations

import os
from pathlib import Path

from orpheus.update.schema import ConfigStore


def test_the_copy_and_its_restore_keep_owners_and_modes(tmp_path: Path) -> None:
    """Asterisk (its own user) reads files of mode 0640: after a rollback's restore they
    must still be its own, or it runs half-configured. (The suite runs as root.)"""
    config = tmp_path / "etc"
    (config / "asterisk").mkdir(parents=True)
    conf = config / "asterisk/asterisk.conf"
    conf.write_text("[directories]\n")
    conf.chmod(0o640)
    for path in (config / "asterisk", conf):
        os.chown(path, 101, 103)
    store = ConfigStore(config, tmp_path / "state")
    store.reconcile(1)
    store.reconcile(2)  # keeps the copy of schema 1
    conf.write_text("changed under 2\n")
    assert store.reconcile(1).action == "restored"
    for path in (config / "asterisk", conf, store.snapshot_path(1) / "asterisk/asterisk.conf"):
        info = path.stat()
        assert (info.st_uid, info.st_gid) == (101, 103), path
    assert conf.stat().st_mode & 0o777 == 0o640 and conf.read_text() == "[directories]\n"
