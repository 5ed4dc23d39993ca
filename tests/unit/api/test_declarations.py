"""Every route the agent declares has valid JSON Schemas (the agent does not check them at
start: that took seconds on a slow CPU), and every declared path parameter is in its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.api.app import Api
from orpheus.api.schema import check_declaration
from orpheus.audit.feature import AuditFeature
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.registry import JobRegistry
from testbed.update_api import build
from tests.agent_parts import PbxUnit


@pytest.fixture
def every_declaration(tmp_path: Path) -> Api:
    """The routes of PBX, licensing, audit, jobs and updates (the others are checked by the
    fuzz test against the real agent, whose OpenAPI description holds them all)."""
    api = PbxUnit(tmp_path / "data", tmp_path / "work").api
    AuditFeature(AuditLog(tmp_path / "audit.sqlite")).install_routes(api)
    JobsFeature(JobRegistry()).install_routes(api)
    (tmp_path / "update").mkdir()
    for route in build(tmp_path / "update", "an-admin-pass").routes:
        api.routes.append(route)
    return api


def test_every_declared_schema_is_valid(every_declaration: Api) -> None:
    assert len(every_declaration.routes) > 30
    for route in every_declaration.routes:
        check_declaration(route.declaration)


def test_the_ha_and_snmp_schemas_are_valid() -> None:
    from jsonschema import Draft202012Validator

    from orpheus.ha import schemas as ha
    from orpheus.snmp import schemas as snmp

    for schema in (ha.PAIR_REQUEST, ha.PAIR_OFFER, ha.JOIN_REQUEST, ha.JOIN_ANSWER, ha.HA_STATUS,
                   ha.CHECK_ANSWER,
                   snmp.SNMP_CHANGES, snmp.SNMP_ANSWER):  # fmt: skip
        Draft202012Validator.check_schema(schema)


def test_a_route_must_declare_its_path_parameters(tmp_path: Path) -> None:
    api = Api(PasswordStore(tmp_path))
    with pytest.raises(ValueError, match="declare path parameter"):
        api.route("GET", "/api/v1/thing/<key>", lambda key: {}, area="pbx")


def test_every_route_declares_a_known_area(every_declaration: Api) -> None:
    from orpheus.users.levels import AREAS, OWN

    for route in every_declaration.routes:
        assert route.area in (*AREAS, OWN), f"{route.method} {route.path}: area {route.area!r}"


def test_a_route_without_an_area_cannot_be_declared(tmp_path: Path) -> None:
    api = Api(PasswordStore(tmp_path))
    with pytest.raises(TypeError, match="area"):
        api.route("GET", "/api/v1/thing", lambda: {})  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown area"):
        api.route("GET", "/api/v1/thing", lambda: {}, area="everything")
