"""The configuration schema store: migrations, rollback copies (orpheus.update.schema)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.update.schema import FIRMWARE_SCHEMA, MIGRATIONS, ConfigStore, firmware_schema


def test_config_migrates_forward_and_a_rollback_restores_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "etc"
    config.mkdir()
    (config / "a.conf").write_text("v1 setting\n")
    store = ConfigStore(config, tmp_path / "state")
    assert store.reconcile(1).action == "initialised"
    monkeypatch.setitem(MIGRATIONS, 1, lambda d: (d / "a.conf").write_text("v2 setting\n"))
    assert store.reconcile(2).action == "migrated"
    assert (config / "a.conf").read_text() == "v2 setting\n"
    (config / "b.conf").write_text("made under v2\n")
    result = store.reconcile(1)
    assert result.action == "restored"
    assert (config / "a.conf").read_text() == "v1 setting\n"
    assert result.lost_changes == ["a.conf", "b.conf"]
    assert not (config / "b.conf").exists()


def test_a_test_build_declares_its_schema_and_the_store_uses_it(tmp_path: Path) -> None:
    marker = tmp_path / "test-config-schema"
    assert firmware_schema(marker) == FIRMWARE_SCHEMA  # a production build has no marker
    marker.write_text("not a number\n")
    assert firmware_schema(marker) == FIRMWARE_SCHEMA
    marker.write_text("2\n")
    store = ConfigStore(tmp_path / "etc", tmp_path / "state", firmware_schema(marker))
    assert store.reconcile().schema == 2 and store.data_schema() == 2
