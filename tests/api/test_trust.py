"""The factory identity is written once: no admin can move a unit to another board (and so
another base tier) or change its manufacturing date, force or not."""

from __future__ import annotations

import json

import pytest

from testbed.pbx_unit import Unit
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs


@pytest.mark.parametrize("force", [False, True])
def test_an_identity_cannot_be_written_again(lite_unit: Unit, force: bool) -> None:
    identity = lite_unit.sandbox.data / "orpheus/identity.json"
    before = identity.read_bytes()
    _, licence = local_request(lite_unit, "GET", "/api/v1/license")
    body = {"serial": "ORP-OTHER-1", "board": "v4rplus", "manufactured": "2020-01-01",
            "force": force}  # fmt: skip
    status, answer = local_request(lite_unit, "POST", "/api/v1/identity", json.dumps(body).encode())
    assert status == 400 and "written once, at the factory" in answer["error"], answer
    assert identity.read_bytes() == before
    assert local_request(lite_unit, "GET", "/api/v1/license")[1]["limits"] == licence["limits"]
    result = lite_unit.agent.ctl("identity", "init", "--serial", "X-1", "--board", "v4r", "--force")
    assert result.returncode != 0 and "written once" in result.stderr
    assert identity.read_bytes() == before
