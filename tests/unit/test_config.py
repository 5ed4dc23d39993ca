"""The agent's settings (orpheus.config): defaults, the TOML file and its strictness."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.config import AgentConfig, config_from_mapping, load_config


def test_the_defaults_are_the_devices() -> None:
    config = AgentConfig()
    assert config.state_dir == Path("/data/orpheus")
    assert config.socket_path == Path("/run/orpheus/agent.sock")
    assert config.asterisk_config_dir == Path("/data/etc/asterisk")
    assert config.snmp_apply_command is None and config.credentials_dir is None


def test_a_missing_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "agent.toml") == AgentConfig()


def test_the_file_overrides_with_typed_values(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(
        f'data_dir = "{tmp_path}"\n'
        'credentials_dir = "/run/credentials/orpheus.service"\n'
        "http_port = 8080\n"
        'asterisk_command = ["/bin/false"]\n'
        'snmp_apply_command = ["true"]\n'
        "rauc_enabled = false\n"
        "asterisk_poll_seconds = 0.5\n"
    )
    config = load_config(path)
    assert config.data_dir == tmp_path and config.state_dir == tmp_path / "orpheus"
    assert config.credentials_dir == Path("/run/credentials/orpheus.service")
    assert (config.http_port, config.rauc_enabled) == (8080, False)
    assert config.asterisk_poll_seconds == 0.5
    assert config.asterisk_command == ("/bin/false",) and config.snmp_apply_command == ("true",)
    assert config.run_dir == AgentConfig().run_dir  # not given: the default


def test_an_empty_command_list_stays_a_list() -> None:
    """An empty snmp_apply_command means 'do nothing', unlike unset (systemd reloads)."""
    assert config_from_mapping({"snmp_apply_command": []}).snmp_apply_command == ()


def test_unknown_settings_are_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("no_such_setting = 1\nhttp_prot = 80\n")
    with pytest.raises(ValueError, match=rf"^{path}: unknown setting\(s\): http_prot, no_such"):
        load_config(path)
