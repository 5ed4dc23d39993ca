"""How snmpd is told to re-read its configuration: systemd over D-Bus on the unit (a fake
here: no systemd in the unit tests), a command where the settings give one (host tests run
snmpd without systemd), nothing for an empty command; failures are one line, never raised."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import bottle
import pytest

from orpheus.config import AgentConfig, config_from_mapping
from orpheus.dbus.fakes import FakeSystemd
from orpheus.snmp import snmpd_conf
from orpheus.snmp.feature import SnmpFeature, snmpd_config_file
from orpheus.snmp.providers import ProviderRegistry


def test_unset_the_systemd_unit_is_reloaded() -> None:
    systemd = FakeSystemd()
    assert snmpd_conf.apply(None, systemd) is None
    assert systemd.calls == [("reload", "snmpd.service")]


def test_systemd_missing_is_one_line_and_not_raised() -> None:
    systemd = FakeSystemd(unavailable="cannot reach the system bus at unix:path=/x: gone")
    problem = snmpd_conf.apply(None, systemd)
    assert (
        problem == "cannot reload snmpd.service: cannot reach the system bus at unix:path=/x: gone"
    )


def test_a_command_is_run_instead_of_systemd(tmp_path: Path) -> None:
    systemd, marker = FakeSystemd(), tmp_path / "reloaded"
    assert snmpd_conf.apply(("touch", str(marker)), systemd) is None
    assert marker.exists() and systemd.calls == []
    assert snmpd_conf.apply((), systemd) is None and systemd.calls == []


def test_a_failing_command_is_one_line_naming_it_and_its_stderr() -> None:
    problem = snmpd_conf.apply(("sh", "-c", "echo no such pid >&2; exit 1"), FakeSystemd())
    assert problem == "sh -c 'echo no such pid >&2; exit 1' failed: no such pid"
    assert snmpd_conf.apply(("no-such-reloader-orpheus",), FakeSystemd()) == (
        "no-such-reloader-orpheus not found"
    )


def test_the_setting_is_unset_by_default_and_a_list_when_given() -> None:
    assert AgentConfig().snmp_apply_command is None
    given = config_from_mapping({"snmp_apply_command": ["pkill", "-HUP", "-F", "/run/s.pid"]})
    assert given.snmp_apply_command == ("pkill", "-HUP", "-F", "/run/s.pid")
    assert config_from_mapping({"snmp_apply_command": []}).snmp_apply_command == ()


Feature = tuple[SnmpFeature, FakeSystemd, Path]


@pytest.fixture
def feature(tmp_path: Path) -> Iterator[Feature]:
    """The feature is not started: no AgentX session or refresher, only its settings route."""
    config = AgentConfig(data_dir=tmp_path / "data", snmp_agentx_socket=tmp_path / "agentx")
    systemd = FakeSystemd()
    yield SnmpFeature(config, ProviderRegistry(), None, systemd), systemd, snmpd_config_file(config)
    bottle.request.bind({})


def _put(body: dict[str, object]) -> None:
    data = json.dumps(body).encode()
    bottle.request.bind(
        {
            "REQUEST_METHOD": "PUT",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
        }
    )


def test_a_settings_change_writes_snmpd_conf_and_reloads_snmpd_through_systemd(
    feature: Feature,
) -> None:
    snmp, systemd, conf = feature
    _put({"location": "rack 4"})
    answer = snmp.update()
    assert "warning" not in answer and answer["settings"]["location"] == "rack 4"
    assert "sysLocation rack 4" in conf.read_text()
    assert systemd.calls == [("reload", "snmpd.service")]


def test_without_systemd_the_change_is_saved_and_the_answer_says_snmpd_did_not_reload(
    feature: Feature,
) -> None:
    snmp, systemd, conf = feature
    systemd.unavailable = "cannot reach the system bus at unix:path=/x: No such file or directory"
    _put({"contact": "noc@example.com"})
    answer = snmp.update()
    assert answer["settings"]["contact"] == "noc@example.com"
    assert answer["warning"] == (
        "saved, but snmpd did not reload: cannot reload snmpd.service: cannot reach the system "
        "bus at unix:path=/x: No such file or directory"
    )
    assert "sysContact noc@example.com" in conf.read_text()
