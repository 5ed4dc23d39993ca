"""schemathesis against the real agent: its OpenAPI description, every route, authenticated.

The agent runs with its real features (the root filesystem's Asterisk, licensing, PBX, HA,
SNMP) in a network namespace with nothing but loopback, and schemathesis runs inside the same
namespace: an address it makes up (an HA peer, a witness) is unreachable at once and no
request leaves this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orpheus.cli.client import AgentClient
from testbed.pbx_unit import Unit

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    ("not_a_server_error", "status_code_conformance", "content_type_conformance",
     "response_schema_conformance")
)  # fmt: skip
EXAMPLES_PER_ROUTE = int(os.environ.get("ORPHEUS_FUZZ_EXAMPLES", "100"))
# Changing the admin password would lock the rest of the run out: it is fuzzed on its own, last.
PASSWORD_ROUTE = "/api/v1/admin/password"

pytestmark = pytest.mark.rootfs


def _password(unit: Unit) -> str:
    return (unit.sandbox.data / "orpheus/initial-admin-password").read_text().strip()


def _schemathesis(unit: Unit, report: Path, *selection: str) -> subprocess.CompletedProcess[str]:
    command = [
        "ip", "netns", "exec", unit.agent.netns, str(SCHEMATHESIS), "run",
        "http://127.0.0.1:8080/api/v1/openapi.json",
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(EXAMPLES_PER_ROUTE), "--workers", "1", "--seed", "7361",
        "--auth", f"admin:{_password(unit)}", "--request-timeout", "60",
        "--generation-database", "none", "--no-color", "--suppress-health-check", "all",
        "--report", "ndjson", "--report-ndjson-path", str(report), *selection,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


def _server_errors(log: Path) -> int:
    """How many 5xx answers the run saw, counted from the agent's own log."""
    return log.read_text().count("failed\nTraceback")


def test_fuzzing_every_route_finds_no_server_error(lite_unit: Unit, tmp_path: Path) -> None:
    before = _server_errors(lite_unit.agent.log)
    rest = _schemathesis(lite_unit, tmp_path / "rest.ndjson", "--exclude-path", PASSWORD_ROUTE)
    (tmp_path / "rest.out").write_text(rest.stdout + rest.stderr)
    assert rest.returncode == 0, rest.stdout[-6000:] + rest.stderr[-2000:]
    password = _schemathesis(lite_unit, tmp_path / "pw.ndjson", "--include-path", PASSWORD_ROUTE)
    assert password.returncode == 0, password.stdout[-6000:] + password.stderr[-2000:]
    assert _server_errors(lite_unit.agent.log) == before
    operations = _operations(tmp_path / "rest.ndjson") | _operations(tmp_path / "pw.ndjson")
    spec = AgentClient(lite_unit.agent.socket).request("GET", "/api/v1/openapi.json")
    declared = {
        f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
    } - {"GET /api/v1/openapi.json"}  # schemathesis reads it, it does not test it
    assert declared <= operations, sorted(declared - operations)


def _operations(report: Path) -> set[str]:
    seen: set[str] = set()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        label = json.dumps(event)
        for word in ("GET ", "POST ", "PUT ", "DELETE "):
            start = label.find(f'"{word}/api/')
            if start >= 0:
                seen.add(label[start + 1 : label.index('"', start + 1)])
    return seen
