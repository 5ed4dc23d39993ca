"""Point 8, against the real agent: a change made on the Unix socket is audited as the local
user the kernel names for the socket's peer (SO_PEERCRED and the login uid), never as the
X-Orpheus-User header the client sends."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys

import pytest

from testbed.paths import SOURCE_DIR
from testbed.pbx_unit import PASSWORD, Unit, console_user
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs


def _audit_users(unit: Unit, number: str) -> list[tuple[str, str]]:
    status, entries = local_request(unit, "GET", "/api/v1/audit")
    assert status == 200
    return [(e["change"], e["user"]) for e in entries if e["object"] == f"extension {number}"]


def test_a_forged_user_header_is_audited_as_the_real_local_user(lite_unit: Unit) -> None:
    forged = {"X-Orpheus-User": "mallory"}
    body = json.dumps({"number": "7301", "password": PASSWORD}).encode()
    status, answer = local_request(lite_unit, "POST", "/api/v1/pbx/extension", body,
                                   headers=forged)  # fmt: skip
    assert status in (200, 201), answer
    status, answer = local_request(lite_unit, "DELETE", "/api/v1/pbx/extension/7301", b"{}",
                                   headers=forged)  # fmt: skip
    assert status in (200, 204), answer
    users = _audit_users(lite_unit, "7301")
    assert users == [("extension.create", console_user()), ("extension.delete", console_user())]
    assert not any("mallory" in user for _, user in users)


def _another_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return next(p for p in pwd.getpwall() if p.pw_uid != 0)


def test_sudo_orpheusctl_is_audited_as_the_login_user(lite_unit: Unit) -> None:
    """As `sudo orpheusctl` run by a logged-in user: root, with that user's login uid."""
    person = _another_user()
    # The child takes the person's login uid (root may set it once, as pam_loginuid does).
    command = [
        "sh", "-c", f'echo {person.pw_uid} > /proc/self/loginuid && exec "$@"', "sh",
        sys.executable, "-c", "import sys; from orpheus.cli.main import main; sys.exit(main())",
        "--socket", str(lite_unit.agent.socket),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(SOURCE_DIR / "agent"), "SUDO_USER": "mallory"}
    probe = subprocess.run([*command[:4], "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot set a login uid here: {probe.stderr.strip()}")
    for action in (["add", "extension", "number=7302", f"password={PASSWORD}"],
                   ["delete", "extension", "7302"]):  # fmt: skip
        result = subprocess.run([*command, "pbx", *action], capture_output=True, text=True,
                                env=env, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
    expected = f"{person.pw_name} (console)"
    assert _audit_users(lite_unit, "7302") == [
        ("extension.create", expected),
        ("extension.delete", expected),
    ]
