"""A rollback asked over the API goes to the audit log with who, before and after."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.dbus.fakes import FakeRauc
from orpheus.update import feature as update_feature
from orpheus.update.installer import InstallDeps
from orpheus.update.policy import Firmware
from orpheus.update.rauc_view import RaucView
from orpheus.update.schema import ConfigStore
from orpheus.update.state import UpdateState

SLOTS = {
    "rootfs.0": {"bootname": "A", "state": "booted", "boot-status": "good"},
    "rootfs.1": {"bootname": "B", "state": "inactive", "boot-status": "good"},
}


def call(api: Api, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "localhost",
        "SERVER_PORT": "0", "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data),
        "wsgi.errors": io.StringIO(), "wsgi.url_scheme": "http", LOCAL_ENVIRON_KEY: True,
        PEER_ENVIRON_KEY: PeerCredentials(pid=4242, uid=0, gid=0, login_uid=None),
        "HTTP_X_ORPHEUS_USER": "alice",  # forged: the socket's peer credentials name the user
    }  # fmt: skip
    answer = b"".join(api.app(environ, lambda code, _headers, *_: status.append(code)))
    return int(status[0].split()[0]), json.loads(answer)


def test_rollback_is_audited(tmp_path: Path) -> None:
    # RAUC runs over D-Bus on the unit only: the fake stands in for it here.
    state = UpdateState(tmp_path / "state.json")
    state.set_slot("B", "1.0.0", "2026-11-01T00:00:00Z")
    deps = InstallDeps(
        state=state,
        config=ConfigStore(tmp_path / "etc", tmp_path),
        running=Firmware("1.1.0", "2026-12-01T00:00:00Z", "0.0.0", "orpheus-x86_64"),
        booted_slot="A",
        data_dir=tmp_path,
        support_until=lambda: None,
        active_calls=lambda: 0,
        reboot=lambda: None,
        boot_id=lambda: "boot-1",
        rauc=FakeRauc(),
    )
    audit = AuditLog(tmp_path / "pbx.sqlite")
    view = RaucView(lambda: (SLOTS, "rootfs.0"), deps.rauc.mark)
    view.refresh()
    update = update_feature.UpdateFeature(deps, tmp_path / "upload", view, audit=audit)
    api = Api(PasswordStore(tmp_path / "auth"))
    update.install_routes(api)
    code, answer = call(api, "POST", "/api/v1/update/rollback", {"reboot": False})
    assert code == 200, answer
    [entry] = audit.read()
    assert (entry["change"], entry["object"], entry["user"]) == (
        "update.rollback",
        "slot B",
        "root (console)",
    )
    assert entry["before"] == {"slot": "A", "version": "1.1.0"}
    assert entry["after"] == {"slot": "B", "version": "1.0.0"}
    assert update.snapshot().other_slot is not None
