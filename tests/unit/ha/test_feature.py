"""The feature's wiring, unpaired: its routes, the write guard, the status it answers, and a
start and stop of its threads and pair channel server (on a free port)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import ApiError
from orpheus.ha.feature import HaFeature
from orpheus.ha.keepalived import KeepalivedPaths
from orpheus.ha.options import HaOptions


class _Api:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[Callable[..., Any], bool]] = {}
        self.guards: list[Callable[[str], str | None]] = []

    def route(
        self,
        method: str,
        path: str,
        handler: Callable[..., Any],
        *,
        auth: bool = True,
        **declared: Any,  # what the route takes (api/schema.py): not checked here
    ) -> None:
        self.routes[(method, path)] = (handler, auth)

    def add_write_guard(self, guard: Callable[[str], str | None]) -> None:
        self.guards.append(guard)


def _feature(tmp_path: Path, healthy: tuple[bool, str] = (True, "ok")) -> HaFeature:
    options = HaOptions(
        data_dir=tmp_path / "data", state_dir=tmp_path / "state",
        agent_socket=tmp_path / "agent.sock", sync_port=0,
        sync_scan_seconds=0.05, firmware_version="1.2.0", asterisk_command=("false",),
        keepalived_command=("false",),
        keepalived_paths=KeepalivedPaths(tmp_path / "root", Path("/run/ha"), Path("/usr/lib/ha")),
        log_dir=tmp_path / "run",
    )  # fmt: skip
    (tmp_path / "data").mkdir()
    return HaFeature(options, lambda: healthy, lambda: None)


def test_routes_and_write_guard(tmp_path: Path) -> None:
    feature = _feature(tmp_path, (False, "Asterisk is down"))
    api = _Api()
    feature.install_routes(api)  # type: ignore[arg-type]
    assert {key: auth for key, (_, auth) in api.routes.items()} == {
        ("GET", "/api/v1/ha"): True,
        ("GET", "/api/v1/ha/check"): False,
        ("POST", "/api/v1/ha/join"): True,
        ("POST", "/api/v1/ha/pair"): True,
        ("DELETE", "/api/v1/ha"): True,
    }
    assert api.guards[0]("/api/v1/pbx/extension") is None  # unpaired: nothing read-only
    check = api.routes[("GET", "/api/v1/ha/check")][0]
    with pytest.raises(ApiError) as refused:
        check()
    assert (refused.value.status, refused.value.message) == (503, "Asterisk is down")
    status = api.routes[("GET", "/api/v1/ha")][0]()
    assert status["may_be_master"] == "Asterisk is down"


def test_unpaired_status(tmp_path: Path) -> None:
    feature = _feature(tmp_path)
    data = feature.status_snapshot().to_dict()
    assert data["paired"] is False and data["role"] == "unpaired"
    assert data["vrrp_state"] == "UNPAIRED" and data["may_be_master"] == "ok"
    assert data["generation"] == {"local": 0, "peer": None}
    assert data["peer_reachable"] is False and data["sync_lag_seconds"] is None
    assert len(str(data["node_fingerprint"])) == 64
    assert feature.may_be_master() == (True, "ok")


def test_starts_and_stops(tmp_path: Path) -> None:
    feature = _feature(tmp_path)
    feature.start()
    assert (tmp_path / "root/run/ha/notify.fifo").is_fifo()
    feature.stop()
    for thread in feature._threads:
        thread.join(2)
        assert not thread.is_alive()


def test_opening_a_pairing_window_is_audited_without_its_code(tmp_path: Path) -> None:
    from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
    from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials
    from orpheus.audit.log import AuditLog
    from orpheus.auth import PasswordStore
    from tests.unit.api.wsgi_client import call

    audit = AuditLog(tmp_path / "audit.sqlite")
    (tmp_path / "data").mkdir()
    feature = HaFeature(
        HaOptions(
            data_dir=tmp_path / "data", state_dir=tmp_path / "state",
        agent_socket=tmp_path / "agent.sock", sync_port=0,
            sync_scan_seconds=0.05, firmware_version="1.2.0", asterisk_command=("false",),
            keepalived_command=("false",),
            keepalived_paths=KeepalivedPaths(tmp_path / "root", Path("/run/ha"), Path("/ha")),
            log_dir=tmp_path / "run",
        ),
        lambda: (True, "ok"), lambda: None, audit=audit,
    )  # fmt: skip
    api = Api(PasswordStore(tmp_path / "state"))
    feature.install_routes(api)
    peer = PeerCredentials(pid=4242, uid=0, gid=0, login_uid=None)
    # The header is forged: the socket's peer credentials name the user.
    local = {LOCAL_ENVIRON_KEY: True, PEER_ENVIRON_KEY: peer, "HTTP_X_ORPHEUS_USER": "alice"}
    answer = call(api.app, "POST", "/api/v1/ha/join", b"{}", auth=None, environ=local)
    assert answer.status == 200
    code = answer.json()["code"]
    [entry] = audit.read()
    assert (entry["change"], entry["user"]) == ("ha.join", "root (console)")
    assert code not in str(entry) and entry["after"]["expires_in_seconds"] > 0
