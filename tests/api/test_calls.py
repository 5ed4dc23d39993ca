"""Call actions against the real agent and the root filesystem's Asterisk, on a Mini with two
sipp phones: a call started over the API rings the caller's extension, then the destination;
it is listed with its channels and hung up by its id; it counts against the licence's call
limit like a dialled call; a destination nothing answers is refused with nothing dialled."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.pbx_unit import (
    CARRIER_ADDRESS,
    PASSWORD,
    Unit,
    add_extension,
    register_phone,
    running_unit,
)
from testbed.polling import wait_for
from testbed.sipp import Sipp, phone_args
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

CALLS = "/api/v1/calls"
MINI_CALL_LIMIT = 10


@pytest.fixture(scope="module")
def mini(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    """A Mini (10 concurrent calls) with extensions 101-103; phones on 101 and 102."""
    workdir = tmp_path_factory.mktemp("calls-unit")
    netns = f"orpheus-calls-{os.getpid()}"
    with running_unit(rootfs, workdir, netns, board="mini", serial="ORP-CALLS-0001") as unit:
        for number in ("101", "102", "103"):
            add_extension(unit, number)
        phones = [
            register_phone(unit, "101", 5070, 31000),
            register_phone(unit, "102", 5072, 31100),
        ]
        try:
            yield unit
        finally:
            for phone in phones:
                phone.stop()


def _start(unit: Unit, **body: Any) -> tuple[int, Any]:
    return local_request(unit, "POST", CALLS, json.dumps(body).encode())


def _calls(unit: Unit) -> list[dict[str, Any]]:
    status, answer = local_request(unit, "GET", CALLS)
    assert status == 200, answer
    return answer["calls"]  # type: ignore[no-any-return]


def _call(unit: Unit, call_id: str) -> dict[str, Any] | None:
    return next((c for c in _calls(unit) if c["id"] == call_id), None)


def _hang_up_everything(unit: Unit) -> None:
    unit.cli("channel request hangup all")
    wait_for("no channel left", lambda: not _calls(unit))


def test_a_started_call_rings_the_extension_then_the_destination(mini: Unit) -> None:
    status, started = _start(mini, **{"from": "101", "to": "102"})
    assert status == 202, started
    assert started["route"] == {"kind": "extension", "name": "102", "trunks": []}
    assert started["counted"] is True  # a Mini counts internal calls
    call_id = started["id"]

    call = wait_for("both phones answered", lambda: (c := _call(mini, call_id)) and
                    c["state"] == "up" and len(c["channels"]) == 2 and c)  # fmt: skip
    first, second = call["channels"]
    # The caller's extension was rung first: its channel started the call (its id is the
    # call's); then it dialled 102 through the dialplan, and 102 sees 101 calling (on the
    # outgoing channel Asterisk's caller is 102 itself, the connected line the one calling).
    # (CI once saw two channels of 101 here, not reproduced since: the whole call is shown.)
    assert first["endpoint"] == "101" and first["state"] == "Up", call
    assert second["endpoint"] == "102" and second["state"] == "Up", call
    assert second["connected"]["number"] == "101"
    assert (call["from"], call["to"], call["trunk"]) == ("101", "102", None)
    assert mini.counted_calls() == 1  # in the licence's call group, as a dialled call

    status, hung_up = local_request(mini, "DELETE", f"{CALLS}/{call_id}")
    assert status == 200, hung_up
    assert sorted(hung_up["hung_up"]) == sorted(c["name"] for c in call["channels"])
    wait_for("the call ended", lambda: _call(mini, call_id) is None)
    assert local_request(mini, "DELETE", f"{CALLS}/{call_id}")[0] == 404
    audit = json.dumps(mini.agent.ctl_json("audit", "--json"))
    assert '"call.start"' in audit and '"call.hangup"' in audit


def test_the_caller_id_given_is_what_the_destination_sees(mini: Unit) -> None:
    started = mini.agent.ctl("call", "start", "101", "102", "--caller-name", "Sales desk",
                             "--caller-number", "+390212345")  # fmt: skip
    assert started.returncode == 0, started.stderr
    call_id = started.stdout.strip()
    call = wait_for("the destination rang", lambda: (c := _call(mini, call_id)) and
                    len(c["channels"]) == 2 and c)  # fmt: skip
    assert call["channels"][1]["connected"] == {"number": "+390212345", "name": "Sales desk"}
    listed = mini.agent.ctl("call", "list")
    assert call_id in listed.stdout, listed.stdout
    hung_up = mini.agent.ctl("call", "hangup", call_id)
    assert hung_up.returncode == 0, hung_up.stderr
    wait_for("the call ended", lambda: _call(mini, call_id) is None)


def test_a_number_goes_out_through_the_trunk_of_its_prefix(mini: Unit) -> None:
    trunk = mini.agent.ctl("pbx", "add", "trunk", "name=carrier", f"host={CARRIER_ADDRESS}",
                           "port=5091", "prefix=0")  # fmt: skip
    assert trunk.returncode == 0, trunk.stderr
    carrier = Sipp(mini.agent.netns, mini.agent.workdir, "carrier")
    carrier.start("uas_phone.xml", ["-i", CARRIER_ADDRESS, "-p", "5091", "-mp", "34000"])
    try:
        status, started = _start(mini, **{"from": "101", "to": "00212345678"})
        assert status == 202, started
        assert started["route"] == {"kind": "outbound", "name": "0", "trunks": ["carrier"]}
        # 101 answers first (the call is "up" then); the trunk's leg follows it under load.
        call = wait_for("the carrier answered", lambda: (c := _call(mini, started["id"])) and
                        c["state"] == "up" and c["trunk"] and c)  # fmt: skip
        assert call["trunk"] == "carrier" and call["to"] == "00212345678"
        assert call["channels"][1]["endpoint"] == "orpheus-trunk-carrier"
        assert local_request(mini, "DELETE", f"{CALLS}/{started['id']}")[0] == 200
        wait_for("the call ended", lambda: _call(mini, started["id"]) is None)
    finally:
        mini.cli("channel request hangup all")  # no call left up for the next test
        carrier.stop()
        assert mini.agent.ctl("pbx", "delete", "trunk", "carrier").returncode == 0


def test_a_destination_nothing_answers_is_refused_and_nothing_is_dialled(mini: Unit) -> None:
    refused = [
        (404, {"from": "101", "to": "555"}),  # no such extension, no outbound route
        (404, {"from": "109", "to": "102"}),  # no such extension to ring first
        (409, {"from": "103", "to": "102"}),  # an extension without a registered phone
        (400, {"from": "101", "to": "101"}),
        (400, {"from": "101", "to": "102\n"}),
        (400, {"from": "101", "to": "102&PJSIP/999"}),
        (400, {"from": "101", "to": "1;2"}),
        (400, {"from": "101\n", "to": "102"}),
        (400, {"from": "101", "to": "102", "caller_id": {"name": 'x"\nChannel: PJSIP/1'}}),
        (400, {"from": "101", "to": "102", "caller_id": {"number": "102\r\nAction: Logoff"}}),
    ]
    for expected, body in refused:
        status, answer = _start(mini, **body)
        assert status == expected, (body, answer)
        assert "\n" not in answer["error"], answer
    assert "0 active channels" in mini.cli("core show channels count")
    assert local_request(mini, "DELETE", f"{CALLS}/1733000000.1")[0] == 404
    assert local_request(mini, "DELETE", f"{CALLS}/x%0Ay")[0] == 400
    missing = mini.agent.ctl("call", "start", "101", "555")
    assert missing.returncode == 1 and "nothing answers 555" in missing.stderr


def test_a_started_call_counts_against_the_licences_limit(mini: Unit) -> None:
    """9 dialled calls and one started over the API fill the Mini's 10; the next dialled call
    is refused by the dialplan (503), the next API call before anything rings (409)."""
    dialled = Sipp(mini.agent.netns, mini.agent.workdir, "calls-limit")
    dialled.start("uac_extension.xml", phone_args("102", "103", PASSWORD, 5080, 32000, 9))
    try:
        assert dialled.wait_outcomes(9) == (9, 0)
        status, started = _start(mini, **{"from": "101", "to": "102"})
        assert status == 202, started
        wait_for("the started call counted", lambda: mini.counted_calls() == MINI_CALL_LIMIT)
        assert len(_calls(mini)) == MINI_CALL_LIMIT

        over = Sipp(mini.agent.netns, mini.agent.workdir, "calls-over")
        over.start("uac_extension.xml", phone_args("102", "103", PASSWORD, 5081, 33000, 1))
        assert over.wait_outcomes(1) == (0, 1)  # the dialplan refuses the 11th: 503
        status, answer = _start(mini, **{"from": "101", "to": "102"})
        assert status == 409 and "licence's limit" in answer["error"], answer
        assert mini.counted_calls() == MINI_CALL_LIMIT and len(_calls(mini)) == MINI_CALL_LIMIT
        over.wait_exit()
    finally:
        _hang_up_everything(mini)
        dialled.wait_exit()
