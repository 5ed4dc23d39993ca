"""ha/orpheus-ha-check, keepalived's track script, against a real agent server on a Unix
socket: its exit status follows GET /api/v1/ha/check's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orpheus.api.app import Api, ApiError
from orpheus.api.server import make_unix_server
from orpheus.auth import PasswordStore
from testbed.paths import SOURCE_DIR
from tests.unit.api.running_server import running

SCRIPT = SOURCE_DIR / "ha/orpheus-ha-check"


def _check(socket: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), str(socket)],
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip


@pytest.mark.parametrize(("may_be_master", "exit_status"), [(True, 0), (False, 1)])
def test_the_exit_status_is_the_agents_answer(
    tmp_path: Path, may_be_master: bool, exit_status: int
) -> None:
    def check() -> dict[str, bool]:
        if not may_be_master:  # as the HA routes refuse: Asterisk unhealthy, say
            raise ApiError(503, "Asterisk is not healthy")
        return {"ok": True}

    api = Api(PasswordStore(tmp_path))
    api.route("GET", "/api/v1/ha/check", check, auth=False, area="ha")
    socket = tmp_path / "agent.sock"
    with running(make_unix_server(api.app, socket, spool_dir=tmp_path / "spool")):
        assert _check(socket).returncode == exit_status


def test_no_agent_is_a_failed_check_with_its_reason(tmp_path: Path) -> None:
    result = _check(tmp_path / "absent.sock")
    assert result.returncode == 1
    assert result.stderr.startswith("orpheus-ha-check: ") and "No such file" in result.stderr
