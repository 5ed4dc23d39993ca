"""/api/v1/calls in process with the PBX parts and a stand-in for the Asterisk adapter: what
is originated, what is refused before anything is (nothing originated), hang-ups by call id."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from orpheus.asterisk.adapter import Asterisk, ManagerLogin, Originate
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.asterisk.parsers import Channel, Contacts, PjsipState
from orpheus.calls.feature import CallsFeature
from tests.agent_parts import PbxUnit


class FakeAsterisk(Asterisk):
    def __init__(self) -> None:
        super().__init__(("false",), ManagerLogin(1, "orpheus", "secret"))
        self.originated: list[Originate] = []
        self.hung_up: list[str] = []
        self.counted = 0
        self.registered = {"101", "102"}
        self.live: list[Channel] = []
        self.down = False

    def originate(self, request: Originate) -> None:
        if self.down:
            raise AsteriskUnavailable("AMI on 127.0.0.1:1: Connection refused")
        self.originated.append(request)

    def group_count(self, group: str) -> int | None:
        assert group == "calls@orpheus"
        return self.counted

    def pjsip_state(self) -> PjsipState:
        return PjsipState(contacts={n: Contacts(reachable=1) for n in self.registered})

    def channels(self) -> list[Channel]:
        return self.live

    def hangup(self, channel: str) -> bool:
        self.hung_up.append(channel)
        return True


@pytest.fixture
def unit(tmp_path: Path) -> tuple[PbxUnit, FakeAsterisk]:
    unit = PbxUnit(tmp_path / "data", tmp_path)
    for number, name in (("101", "Front desk"), ("102", ""), ("103", "")):
        body = {"number": number, "name": name, "password": "pw-123456"}
        assert unit.request("POST", "/api/v1/pbx/extension", body).status == 200
    asterisk = FakeAsterisk()
    CallsFeature(asterisk, unit.configurator.rendered, unit.licensing, unit.audit)\
        .install_routes(unit.api)  # fmt: skip
    return unit, asterisk


def test_a_call_rings_the_extension_then_dials_through_its_own_context(
    unit: tuple[PbxUnit, FakeAsterisk],
) -> None:
    pbx, asterisk = unit
    answer = pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "102"})
    assert answer.status == 202, answer
    (request,) = asterisk.originated
    assert request == Originate("PJSIP/101", "orpheus-internal", "102", '"Front desk" <101>',
                                answer.body["id"])  # fmt: skip
    assert len(answer.body["id"]) == 32 and answer.body["counted"] is True
    assert pbx.audit.read()[-1]["change"] == "call.start"

    pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "102",
                                          "caller_id": {"number": "+3902"}})  # fmt: skip
    pbx.request("POST", "/api/v1/calls", {"from": "102", "to": "101",
                                          "caller_id": {"name": "Sales"}})  # fmt: skip
    assert [r.caller_id for r in asterisk.originated[1:]] == ["+3902", '"Sales" <102>']


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"from": "109", "to": "102"}, 404, "no extension 109"),
        ({"from": "101", "to": "555"}, 404, "nothing answers 555"),
        ({"from": "103", "to": "102"}, 409, "no registered phone"),
        ({"from": "101", "to": "101"}, 400, "both 101"),
        ({"from": "101", "to": "102\n"}, 400, "body field 'to'"),
        ({"from": "101", "to": "102", "caller_id": {"name": 'a"b'}}, 400, "caller_id.name"),
        ({"from": "101", "to": "102", "caller_id": {"number": "1\r\n2"}}, 400, "caller_id"),
        ({"from": "101", "to": "102", "extra": 1}, 400, "unknown field"),
    ],
)
def test_refused_calls_originate_nothing(
    unit: tuple[PbxUnit, FakeAsterisk], body: dict[str, object], status: int, words: str
) -> None:
    pbx, asterisk = unit
    answer = pbx.request("POST", "/api/v1/calls", body)
    assert answer.status == status and words in answer.body["error"], answer
    assert "\n" not in answer.body["error"]
    assert asterisk.originated == []


def test_a_full_call_limit_refuses_before_anything_rings(
    unit: tuple[PbxUnit, FakeAsterisk],
) -> None:
    pbx, asterisk = unit
    asterisk.counted = 10  # the Mini's limit
    answer = pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "102"})
    assert answer.status == 409 and "licence's limit" in answer.body["error"]
    asterisk.counted = 9
    assert pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "102"}).status == 202
    asterisk.down = True
    answer = pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "102"})
    assert answer.status == 503 and len(asterisk.originated) == 1


def _channel(name: str, unique: str, linked: str) -> Channel:
    return Channel(name, unique, linked, "Up", "101", "", "102", "", "orpheus-targets", "102",
                   "Dial", 3)  # fmt: skip


def test_hang_up_by_call_id(unit: tuple[PbxUnit, FakeAsterisk]) -> None:
    pbx, asterisk = unit
    call_id = "0123456789abcdef0123456789abcdef"
    asterisk.live = [
        _channel("PJSIP/101-00000000", call_id, call_id),
        _channel("PJSIP/102-00000001", "1796186804.4", call_id),
        _channel("PJSIP/103-00000002", "1796186804.5", "1796186804.5"),
    ]
    listed = pbx.request("GET", "/api/v1/calls")
    assert [c["id"] for c in listed.body["calls"]] == [call_id, "1796186804.5"]
    answer = pbx.request("DELETE", f"/api/v1/calls/{call_id}")
    assert answer.status == 200
    assert asterisk.hung_up == ["PJSIP/101-00000000", "PJSIP/102-00000001"]
    assert pbx.audit.read()[-1]["change"] == "call.hangup"
    assert pbx.request("DELETE", "/api/v1/calls/1796186804.9").status == 404
    for bad in ("abc", "1796186804.4%0A", "PJSIP%2F101-00000000"):
        assert pbx.request("DELETE", f"/api/v1/calls/{bad}").status in (400, 404)
    assert len(asterisk.hung_up) == 2


def test_on_a_vm_only_calls_out_through_a_trunk_are_counted(tmp_path: Path) -> None:
    pbx = PbxUnit(tmp_path / "data", tmp_path)
    for number in ("101", "102"):
        body = {"number": number, "password": "pw-123456"}
        assert pbx.request("POST", "/api/v1/pbx/extension", body).status == 200
    trunk = {"name": "carrier", "host": "192.0.2.10", "prefix": "0"}
    assert pbx.request("POST", "/api/v1/pbx/trunk", trunk).status == 200
    # A VM licensed for 5 external channels, all in use: only trunk calls are counted.
    limits = SimpleNamespace(concurrent_calls=5, external_calls_only=True)
    vm = SimpleNamespace(entitlement=SimpleNamespace(limits=limits))
    asterisk = FakeAsterisk()
    asterisk.counted = 5
    CallsFeature(asterisk, pbx.configurator.rendered, vm, pbx.audit)\
        .install_routes(pbx.api)  # type: ignore[arg-type]  # fmt: skip
    internal = pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "102"})
    assert internal.status == 202 and internal.body["counted"] is False
    external = pbx.request("POST", "/api/v1/calls", {"from": "101", "to": "00212345"})
    assert external.status == 409 and "5 concurrent calls" in external.body["error"]
    assert [r.exten for r in asterisk.originated] == ["102"]
