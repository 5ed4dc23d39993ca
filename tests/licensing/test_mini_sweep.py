"""Issue 12, point 1: on a Mini, no route an admin can call lifts a limit; a signed licence does.

Every changing route of the real agent is tried by schemathesis with the admin's password
(in the unit's loopback-only namespace), and a licence file is forged into /data/orpheus as
another route might write it; the tier, its limits, the add-ons and the update-support date
stay the Mini's until a Lite licence signed by the vendor key is installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orpheus.cli.client import AgentClient
from orpheus.licensing.document import sign
from testbed import fuzz
from testbed.pbx_unit import Unit

pytestmark = pytest.mark.rootfs

# A few cases per route: the point is that every changing route is tried, the broad fuzzing
# of each route is tests/api/test_fuzz.py's.
EXAMPLES_PER_ROUTE = 10
TERMS = ("tier", "board", "source", "license_id", "limits", "addons", "update_support_until")
CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def _terms(unit: Unit) -> dict[str, object]:
    licence = AgentClient(unit.agent.socket).request("GET", "/api/v1/license")
    return {key: licence[key] for key in TERMS}


def _changing_operations(unit: Unit) -> set[str]:
    spec = AgentClient(unit.agent.socket).request("GET", "/api/v1/openapi.json")
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method.upper() in CHANGING
    }


def _tried(report: Path) -> set[str]:
    """The changing operations (e.g. 'POST /api/v1/license') schemathesis's report names."""
    seen: set[str] = set()
    for line in report.read_text().splitlines():
        label = json.dumps(json.loads(line))
        for method in CHANGING:
            start = label.find(f'"{method} /api/')
            if start >= 0:
                seen.add(label[start + 1 : label.index('"', start + 1)])
    return seen


def test_no_route_lifts_a_minis_limits(mini_unit: Unit, tmp_path: Path) -> None:
    terms = _terms(mini_unit)
    assert terms["tier"] == "mini" and terms["source"] == "board", terms
    runs = fuzz.every_route(mini_unit, EXAMPLES_PER_ROUTE, tmp_path)
    for run in runs:
        assert run.generated > 0, run.output[-2000:]
    tried = _tried(tmp_path / "rest.ndjson") | _tried(tmp_path / "password.ndjson")
    missing = _changing_operations(mini_unit) - tried
    assert not missing, sorted(missing)
    assert _terms(mini_unit) == terms


def test_a_licence_file_forged_into_the_data_partition_is_not_honoured(
    mini_unit: Unit, tmp_path: Path
) -> None:
    """As if another route had written it: a Lite licence signed by some other key, found at
    start-up, leaves the unit a Mini with an alarm that says why."""
    terms = _terms(mini_unit)
    forged = sign(mini_unit.vendor.licence(mini_unit.serial, "lite")["payload"],  # type: ignore[arg-type]
                  Ed25519PrivateKey.generate())  # fmt: skip
    licence_file = mini_unit.sandbox.data / "orpheus/license.json"
    mini_unit.agent.stop()
    licence_file.write_text(json.dumps(forged) + "\n")
    try:
        mini_unit.agent.start()
        licence = AgentClient(mini_unit.agent.socket).request("GET", "/api/v1/license")
        assert {key: licence[key] for key in TERMS} == terms
        assert licence["alarm"] and "not valid" in licence["alarm"], licence
    finally:
        licence_file.unlink()


def test_a_signed_lite_licence_lifts_them(mini_unit: Unit) -> None:
    document = mini_unit.vendor.licence(mini_unit.serial, "lite")
    result = mini_unit.install_licence(document, "lite")
    assert result.returncode == 0, result.stderr
    terms = _terms(mini_unit)
    assert terms["tier"] == "lite" and terms["source"] == "license", terms
    assert terms["limits"]["concurrent_calls"] == 25  # type: ignore[index]
    assert terms["limits"]["extensions"] is None  # type: ignore[index]
