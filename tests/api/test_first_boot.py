"""Issue 12, point 9: a bad factory credential never crash-loops the first boot.

The real agent gets, as systemd would hand it over, an admin password credential too short
to be accepted: it starts, refuses that password with an alarm in its status, and falls back
to a random initial password, as when no credential was given; the alarm goes once the admin
sets a password.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orpheus.auth import verify_password
from orpheus.cli.client import AgentClient
from testbed.pbx_unit import agent_with_factory_password

pytestmark = pytest.mark.rootfs

SHORT = "short1"  # under the 8 characters the agent asks for


def test_a_short_factory_password_gives_an_alarm_and_a_random_password(tmp_path: Path) -> None:
    netns = f"orpheus-first-{os.getpid()}"
    # It started and answers: no crash loop.
    with agent_with_factory_password(tmp_path, netns, SHORT) as agent:
        status = AgentClient(agent.socket).request("GET", "/api/v1/status")
        refused = [alarm for alarm in status["alarms"] if "was refused" in alarm]
        assert refused and "orpheus.admin-password" in refused[0], status["alarms"]
        stored = (agent.data_dir / "orpheus/admin-password.hash").read_text()
        initial = (agent.data_dir / "orpheus/initial-admin-password").read_text().strip()
        assert not verify_password(SHORT, stored)
        assert verify_password(initial, stored)
        AgentClient(agent.socket).request(
            "PUT", "/api/v1/admin/password", {"password": "a-long-enough-one"}
        )
        status = AgentClient(agent.socket).request("GET", "/api/v1/status")
        assert not [alarm for alarm in status["alarms"] if "was refused" in alarm]
