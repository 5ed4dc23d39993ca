"""The boot-time configuration check (orpheus.update.configcheck)."""

from __future__ import annotations

from pathlib import Path

from orpheus.config import AgentConfig
from orpheus.update import configcheck
from orpheus.update.state import UpdateState


def test_the_boot_check_writes_its_result_where_update_status_reads_it(tmp_path: Path) -> None:
    config = AgentConfig(data_dir=tmp_path)
    (tmp_path / "etc").mkdir()
    result = configcheck.check(config)
    assert result.action == "initialised"
    assert UpdateState(config.state_dir / "update/state.json").read()["config"]["action"] == (
        "initialised"
    )
    settings = tmp_path / "agent.toml"
    settings.write_text(f'data_dir = "{tmp_path}"\nno_such_setting = 1\n')
    assert configcheck.main(["--config", str(settings)]) == 1  # one line, files untouched
    settings.write_text(f'data_dir = "{tmp_path}"\n')
    assert configcheck.main(["--config", str(settings)]) == 0
