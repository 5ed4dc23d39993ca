"""Both sides of pairing, up to the network: the Slave's join window and the Master's checks
of a pair request. (A completed pairing needs two units: tests/ha/test_pair.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.api.app import ApiError
from orpheus.ha import pair, pairing
from orpheus.ha.adoption import Adoption
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.join import SlavePairing
from orpheus.ha.keepalived import KeepalivedPaths, KeepalivedProcess
from orpheus.ha.options import HaOptions
from orpheus.ha.peer_server import PeerRequestError
from orpheus.ha.state import HaState
from orpheus.ha.vrrp_checks import check_advert, check_priority

from .conftest import FakeTelephony


def _slave(
    state: HaState, synced: SyncedConfig, tmp_path: Path, refusal: str | None = None
) -> SlavePairing:
    paths = KeepalivedPaths(tmp_path, Path("/run/orpheus/ha"), Path("/usr/lib/orpheus/ha"))
    options = HaOptions(
        data_dir=tmp_path / "data", state_dir=tmp_path / "state",
        agent_socket=tmp_path / "agent.sock",
        sync_port=7443, sync_scan_seconds=0.1, firmware_version="1.2.0",
        asterisk_command=("false",), keepalived_command=("false",), keepalived_paths=paths,
        log_dir=tmp_path / "run",
    )  # fmt: skip
    process = KeepalivedProcess(("false",), paths, tmp_path / "run/keepalived.log")
    adoption = Adoption(state, options, process, FakeTelephony(), lambda: refusal)  # type: ignore[arg-type]
    return SlavePairing(state, synced, adoption, "1.2.0", 7443)


@pytest.fixture
def unpaired(state: HaState) -> HaState:
    state.settings, state.role = None, "UNPAIRED"
    return state


def test_join_opens_a_window(unpaired: HaState, synced: SyncedConfig, tmp_path: Path) -> None:
    answer = _slave(unpaired, synced, tmp_path).open_window()
    assert unpaired.join is not None and answer["code"] == unpaired.join.code
    assert answer["sync_port"] == 7443
    assert answer["fingerprint"] == unpaired.identity.fingerprint


def test_join_refused_when_paired_or_unlicensed(
    state: HaState, unpaired: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    with pytest.raises(ApiError) as refused:
        _slave(unpaired, synced, tmp_path, "not in this tier").open_window()
    assert (refused.value.status, refused.value.message) == (403, "not in this tier")
    state.settings = pair.PairSettings(
        node_id="a", local_address="10.0.0.1", peer_address="10.0.0.9", peer_fingerprint="b",
        vip="10.0.0.100/24", interface="eth0", priority=100, preferred_role="slave",
    )  # fmt: skip
    with pytest.raises(ApiError) as refused:
        _slave(state, synced, tmp_path).open_window()
    assert refused.value.status == 409 and "10.0.0.9" in refused.value.message


def test_a_pair_request_needs_an_open_window(
    unpaired: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    with pytest.raises(PeerRequestError) as refused:
        _slave(unpaired, synced, tmp_path).accept({"mac": "00"})
    assert refused.value.status == 403 and "not waiting to pair" in refused.value.message


def test_wrong_codes_close_the_window(
    unpaired: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    slave = _slave(unpaired, synced, tmp_path)
    slave.open_window()
    for _ in range(pairing.MAX_WRONG_ATTEMPTS):
        with pytest.raises(PeerRequestError, match="wrong pairing code"):
            slave.accept({"address": "10.0.0.1", "mac": "00"})
    # Even the right code is refused now.
    assert unpaired.join is not None
    body: dict[str, object] = {"address": "10.0.0.1"}
    body["mac"] = pairing.mac(unpaired.join.code, body)
    with pytest.raises(PeerRequestError, match="not waiting to pair"):
        slave.accept(body)
    assert unpaired.settings is None


def test_priority_bounds() -> None:
    check_priority(pair.SLAVE_PRIORITY + 1)
    check_priority(254)
    for bad in (pair.SLAVE_PRIORITY, 255):
        with pytest.raises(ApiError, match="must be between 101 and 254"):
            check_priority(bad)


def test_advert_interval_fits_the_vrrp_version() -> None:
    check_advert(0.1, 3)
    check_advert(1.0, 2)
    for advert, version in ((0.5, 2), (0.001, 3), (256.0, 3), (1.0, 4)):
        with pytest.raises(ApiError) as refused:
            check_advert(advert, version)
        assert refused.value.status == 400


def _offer(code: str, state: HaState, **changes: object) -> dict[str, object]:
    """A pair request as the Master sends it, authenticated by code."""
    body: dict[str, object] = {
        "address": "10.0.0.1", "vip": "10.0.0.100/24", "nopreempt": True,
        "advert_interval": 0.1, "vrrp_version": 3, "witness": None,
        "firmware_version": "1.2.0", "cert_pem": state.identity.cert_pem,
        "auth_pass": "0123abcd", "nonce": "ab" * 16, **changes,
    }  # fmt: skip
    body["mac"] = pairing.mac(code, body)
    return body


def test_wrong_codes_close_the_window_for_their_address_only(
    unpaired: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    slave = _slave(unpaired, synced, tmp_path)
    slave.open_window()
    for _ in range(pairing.MAX_WRONG_ATTEMPTS):
        with pytest.raises(PeerRequestError, match="wrong pairing code"):
            slave.accept({"address": "10.0.0.66", "mac": "00"}, "10.0.0.66")
    assert unpaired.join is not None
    refusal = slave.refusal_for("10.0.0.66")
    assert refusal is not None and "5 wrong codes came from it" in refusal
    with pytest.raises(PeerRequestError, match=r"not waiting to pair with 10\.0\.0\.66"):
        slave.accept(_offer(unpaired.join.code, unpaired, address="10.0.0.66"), "10.0.0.66")
    assert slave.refusal_for("10.0.0.1") is None  # the Master may still try


def test_a_window_for_one_master_refuses_every_other_address(
    unpaired: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    slave = _slave(unpaired, synced, tmp_path)
    slave.open_window(master="10.0.0.1")
    assert unpaired.join is not None
    with pytest.raises(PeerRequestError) as refused:
        slave.accept(_offer(unpaired.join.code, unpaired, address="10.0.0.7"), "10.0.0.7")
    assert refused.value.status == 403
    assert refused.value.message == "this unit is waiting to pair with 10.0.0.1, not with 10.0.0.7"
    assert unpaired.join.wrong_by_address == {} and unpaired.settings is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("auth_pass", "ab\ncd"),
        ("auth_pass", 'ab"}'),
        ("vip", "10.0.0.1; script"),
        ("vip", "10.0.0.100/24\n"),
        ("address", "10.0.0.1\n"),
        ("witness", "10.0.0.254 }"),
        ("vrrp_version", 4),
        ("advert_interval", 0),
        ("nopreempt", "yes"),
        ("firmware_version", "1.2.0\nvrrp_script x"),
        ("cert_pem", "not a certificate"),
    ],
)
def test_an_authenticated_pair_request_with_a_bad_field_is_refused(
    unpaired: HaState, synced: SyncedConfig, tmp_path: Path, field: str, value: object
) -> None:
    slave = _slave(unpaired, synced, tmp_path)
    slave.open_window()
    assert unpaired.join is not None
    with pytest.raises(PeerRequestError) as refused:
        slave.accept(_offer(unpaired.join.code, unpaired, **{field: value}), "10.0.0.1")
    assert refused.value.status == 400
    assert field in refused.value.message and "\n" not in refused.value.message
    # Nothing changed, and the window is still usable (a bad field is not a wrong code).
    assert unpaired.settings is None and unpaired.join is not None
    assert unpaired.join.wrong_by_address == {} and slave.refusal_for("10.0.0.1") is None


def test_a_pair_request_must_come_from_the_address_it_names(
    unpaired: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    slave = _slave(unpaired, synced, tmp_path)
    slave.open_window()
    assert unpaired.join is not None
    with pytest.raises(PeerRequestError, match=r"from 10\.0\.0\.9 names 10\.0\.0\.1 as the Master"):
        slave.accept(_offer(unpaired.join.code, unpaired), "10.0.0.9")
    assert unpaired.settings is None
