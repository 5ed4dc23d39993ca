"""schemathesis against a unit's agent, run inside the unit's network namespace (only loopback:
an address it makes up, an HA peer or a witness, is unreachable at once and nothing leaves)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from testbed.pbx_unit import HTTPS_PORT, Unit
from testbed.polling import wait_for

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    ("not_a_server_error", "status_code_conformance", "content_type_conformance",
     "response_schema_conformance")
)  # fmt: skip
# Changing the admin password (also as PUT /api/v1/users/admin) would lock the rest of a run
# out, and the log-in and own password routes send wrong passwords (which block the fuzzer's
# address): they are fuzzed on their own, last.
PASSWORD_ROUTE = "/api/v1/admin/password"
LOCKOUT_ROUTES = r"^/api/v1/(admin/password|session|session/password|users/\{name\})$"
# A stand-alone API server of the testbed (update_api, storage_api) speaks plain HTTP; a unit's
# agent keeps only its health probe there and serves its API on HTTPS.
OPENAPI_URL = "http://127.0.0.1:8080/api/v1/openapi.json"
UNIT_OPENAPI_URL = f"https://127.0.0.1:{HTTPS_PORT}/api/v1/openapi.json"


@dataclass(frozen=True)
class FuzzRun:
    returncode: int
    output: str
    generated: int  # test cases schemathesis generated and sent
    failures: int  # of which failed a check (a 5xx, a non-JSON error, a schema mismatch)
    server_errors: int  # answers 500-599


def admin_password(unit: Unit) -> str:
    return (unit.sandbox.data / "orpheus/initial-admin-password").read_text().strip()


def schemathesis(
    netns: str, url: str, password: str, examples: int, report: Path, *selection: str
) -> FuzzRun:
    """schemathesis in netns against the OpenAPI description at url, as admin."""
    command = [
        "ip", "netns", "exec", netns, str(SCHEMATHESIS), "run", url,
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(examples), "--workers", "1", "--seed", "7361",
        "--auth", f"admin:{password}", "--request-timeout", "60",
        "--generation-database", "none", "--no-color", "--suppress-health-check", "all",
        "--report", "ndjson", "--report-ndjson-path", str(report), *selection,
    ]  # fmt: skip
    if url.startswith("https:"):
        command.insert(command.index("run") + 2, "--tls-verify=false")  # self-signed
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    return FuzzRun(result.returncode, output, *_summary(output))


def _summary(output: str) -> tuple[int, int, int]:
    generated = re.search(r"(\d+) generated", output)
    failures = re.search(r"(\d+) found (\d+) unique failures", output)
    server = re.search(r"Server error: (\d+)", output)
    return (
        int(generated.group(1)) if generated else 0,
        int(failures.group(2)) if failures else 0,
        int(server.group(1)) if server else 0,
    )


def every_route(unit: Unit, examples: int, directory: Path) -> list[FuzzRun]:
    """Every route of a unit: all but the password routes first, then those; it returns once
    the fuzzer's address is no longer blocked for the wrong passwords it sent."""
    where = (unit.agent.netns, UNIT_OPENAPI_URL, admin_password(unit), examples)
    rest = schemathesis(*where, directory / "rest.ndjson", "--exclude-path-regex", LOCKOUT_ROUTES)
    password = schemathesis(
        *where, directory / "password.ndjson", "--include-path-regex", LOCKOUT_ROUTES
    )
    wait_for("the fuzzer's address to be unblocked", lambda: not _blocked(unit.agent.netns),
             timeout=16 * 60, interval=1.0)  # fmt: skip
    return [rest, password]


def _blocked(netns: str) -> bool:
    """A request without credentials: 429 while the address is blocked (it counts nothing)."""
    probe = ("import http.client, ssl; c = http.client.HTTPSConnection('127.0.0.1', "
             f"{HTTPS_PORT}, timeout=30, context=ssl._create_unverified_context()); "
             "c.request('GET', '/api/v1/status'); print(c.getresponse().status)")  # fmt: skip
    result = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", probe],
                            capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return result.stdout.strip() == "429"
