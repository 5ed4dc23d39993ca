"""schemathesis against the real agent: its OpenAPI description, every route, authenticated.

The agent runs with its real features (the root filesystem's Asterisk, licensing, PBX, HA,
SNMP, jobs, audit) in a network namespace with nothing but loopback; schemathesis runs inside
it (testbed/fuzz.py), so no request it makes up leaves this machine. The update routes need
RAUC's D-Bus service, which only the booted image has: they are fuzzed on the real server and
update feature with RAUC and systemd faked (testbed/update_api.py), in a namespace likewise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orpheus.cli.client import AgentClient
from testbed import fuzz
from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import Unit, network_namespace

EXAMPLES_PER_ROUTE = int(os.environ.get("ORPHEUS_FUZZ_EXAMPLES", "100"))

pytestmark = pytest.mark.rootfs


def _server_errors(log: Path) -> int:
    """Tracebacks of unexpected exceptions (each answered 500) in the agent's own log."""
    return log.read_text().count("failed\nTraceback")


# What no request but a signed licence may change (issue 12, point 1): the tier and its
# limits, the add-ons and the update-support date.
LICENCE_KEYS = ("tier", "board", "source", "license_id", "limits", "addons", "update_support_until")


def _licence_terms(unit: Unit) -> dict[str, object]:
    licence = AgentClient(unit.agent.socket).request("GET", "/api/v1/license")
    return {key: licence[key] for key in LICENCE_KEYS}


def test_fuzzing_every_route_finds_no_server_error(lite_unit: Unit, tmp_path: Path) -> None:
    """Also the sweep of point 1: every changing route, tried with the admin's password, and
    the unit's tier, limits and update-support date are as they were."""
    before = _server_errors(lite_unit.agent.log)
    terms = _licence_terms(lite_unit)
    runs = fuzz.every_route(lite_unit, EXAMPLES_PER_ROUTE, tmp_path)
    (tmp_path / "schemathesis.out").write_text("\n".join(run.output for run in runs))
    for run in runs:
        assert run.returncode == 0 and run.failures == 0, run.output[-6000:]
        assert run.generated > 0, run.output[-2000:]
    assert _server_errors(lite_unit.agent.log) == before
    tested = _operations(tmp_path / "rest.ndjson") | _operations(tmp_path / "password.ndjson")
    spec = AgentClient(lite_unit.agent.socket).request("GET", "/api/v1/openapi.json")
    declared = {
        f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
    } - {"GET /api/v1/openapi.json"}  # schemathesis reads it, it does not test it
    assert declared <= tested, sorted(declared - tested)
    assert _licence_terms(lite_unit) == terms


def test_fuzzing_the_update_and_jobs_routes_finds_no_server_error(tmp_path: Path) -> None:
    netns, password = f"orpheus-fuzz-update-{os.getpid()}", "fuzz-admin-pass"
    with network_namespace(netns):
        server = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "testbed.update_api",
             str(tmp_path), "8080", password],
            stdout=subprocess.PIPE, stderr=(tmp_path / "server.log").open("wb"), text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None and server.stdout.readline() == "serving\n"
            run = fuzz.schemathesis(
                netns, fuzz.OPENAPI_URL, password, EXAMPLES_PER_ROUTE, tmp_path / "u.ndjson"
            )
        finally:
            server.terminate()
            server.wait(30)
    assert run.returncode == 0 and run.failures == 0, run.output[-6000:]
    tested = _operations(tmp_path / "u.ndjson")
    for operation in ("POST /api/v1/update", "POST /api/v1/update/rollback",
                      "GET /api/v1/update", "GET /api/v1/jobs/{job_id}"):  # fmt: skip
        assert operation in tested, sorted(tested)
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_fuzzing_the_storage_and_transfer_routes_finds_no_server_error(tmp_path: Path) -> None:
    """Storage and the recordings' copy/move (testbed/storage_api.py: a stick as a
    directory, no USB hardware here) with their jobs."""
    netns, password = f"orpheus-fuzz-storage-{os.getpid()}", "fuzz-admin-pass"
    with network_namespace(netns):
        server = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "testbed.storage_api",
             str(tmp_path), "8080", password],
            stdout=subprocess.PIPE, stderr=(tmp_path / "server.log").open("wb"), text=True,
            env={**os.environ, "PYTHONPATH": f"{SOURCE_DIR / 'agent'}:{SOURCE_DIR}"},
        )  # fmt: skip
        try:
            assert server.stdout is not None and server.stdout.readline() == "serving\n"
            run = fuzz.schemathesis(
                netns, fuzz.OPENAPI_URL, password, EXAMPLES_PER_ROUTE, tmp_path / "s.ndjson"
            )
        finally:
            server.terminate()
            server.wait(30)
    assert run.returncode == 0 and run.failures == 0, run.output[-6000:]
    tested = _operations(tmp_path / "s.ndjson")
    for operation in ("GET /api/v1/storage", "PUT /api/v1/storage/default",
                      "POST /api/v1/storage/{name}/eject", "PUT /api/v1/storage/{name}/retention",
                      "POST /api/v1/storage/{name}/check",
                      "POST /api/v1/recordings/copy", "POST /api/v1/recordings/move"):  # fmt: skip
        assert operation in tested, sorted(tested)
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def _operations(report: Path) -> set[str]:
    """The operations (e.g. 'GET /api/v1/pbx/trunk/{key}') a run's report names."""
    seen: set[str] = set()
    for line in report.read_text().splitlines():
        label = json.dumps(json.loads(line))
        for word in ("GET ", "POST ", "PUT ", "DELETE "):
            start = label.find(f'"{word}/api/')
            if start >= 0:
                seen.add(label[start + 1 : label.index('"', start + 1)])
    return seen
