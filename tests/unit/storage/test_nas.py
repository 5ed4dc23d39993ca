"""NAS targets (storage/nas.py, the registry's NAS part, the routes, the CLI's body): no NAS
server runs in these tests. A fake mounter records what it is asked and makes the mount
point a directory (as the USB tests do); FakeSystemd records the transient unit's
properties; a fake statvfs that blocks forever stands for a dead server. Checked: the exact
mount options of both kinds, hostile fields refused before any mount, the SMB password in
its root-only file and nowhere else, the API answering within a second while a NAS hangs,
state changes audited, removal refused while in use, placement onto a NAS."""

from __future__ import annotations

import argparse
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.auth import PasswordStore
from orpheus.cli.client import AgentError
from orpheus.cli.storage import nas_body
from orpheus.dbus.fakes import FakeSystemd
from orpheus.recordings.store import RecordingStore
from orpheus.snmp.storage_values import StorageValues
from orpheus.storage import targets as targets_module
from orpheus.storage.feature import StorageFeature
from orpheus.storage.mounts import (
    MountError,
    SystemdMounts,
    nas_options,
    nas_unit_properties,
    unit_name,
)
from orpheus.storage.nas import (
    BadNas,
    BoundedStore,
    Credentials,
    NasSpec,
    nas_spec,
)
from orpheus.storage.placement import PENDING_FILE, Placement
from orpheus.storage.registry import StorageTargets, TargetRefused
from tests.unit.api.wsgi_client import Answer, call
from tests.unit.storage.parts import Audit, make_recording

PASSWORD = "Sup3r-S3cret pass,word=1"  # the secret the tests look for
NFS = {"kind": "nfs", "host": "nas.example", "share": "/srv/recordings"}
SMB = {"kind": "smb", "host": "192.0.2.20", "share": "recordings/pbx", "username": "pbx",
       "password": PASSWORD, "domain": "OFFICE"}  # fmt: skip


class NasMounter:
    """Records each mount (spec, where, credentials) and makes where a directory."""

    def __init__(self) -> None:
        self.mounts: list[tuple[NasSpec, Path, Path | None]] = []
        self.unmounted: list[Path] = []
        self.failure: str | None = None
        self.attempts = 0

    def mount_nas(self, spec: NasSpec, where: Path, credentials: Path | None) -> None:
        self.attempts += 1
        if self.failure:
            raise MountError(self.failure)
        where.mkdir(parents=True, exist_ok=True)
        self.mounts.append((spec, where, credentials))

    def unmount(self, where: Path) -> None:
        self.unmounted.append(where)


class UsbMounter:
    def mount(self, volume: Any, where: Path, *, read_only: bool = False) -> None:
        raise AssertionError("no USB drive here")

    def unmount(self, where: Path) -> None:
        raise AssertionError("no USB drive here")


class Unit:
    def __init__(self, tmp_path: Path) -> None:
        (tmp_path / "data").mkdir()
        self.tmp_path = tmp_path
        self.audit = Audit()
        self.mounter = NasMounter()
        self.state_dir = tmp_path / "data" / "orpheus"
        self.targets = StorageTargets(
            tmp_path / "data" / "recordings",
            tmp_path / "run" / "storage",
            UsbMounter(),
            self.state_dir / "storage.json",
            self.audit,
            mounted=Path.is_dir,
            nas_mounter=self.mounter,
            credentials=Credentials(self.state_dir / "nas"),
            nas_bounds={"wait_seconds": 0.2, "timeout_seconds": 0.3, "fresh_seconds": 0.0},
            remount_seconds=0.0,
        )
        self.storage = StorageFeature(self.targets)
        self.in_use: dict[str, str] = {}
        self.storage.busy = self.in_use.get
        self.api = Api(PasswordStore(tmp_path))
        self.storage.install_routes(self.api)

    def ask(self, method: str, path: str, body: Any = None) -> Answer:
        raw = None if body is None else json.dumps(body).encode()
        return call(self.api.app, method, path, raw, auth=None,
                    environ={LOCAL_ENVIRON_KEY: True})  # fmt: skip

    def add(self, name: str, fields: dict[str, Any]) -> Answer:
        answer = self.ask("POST", "/api/v1/storage/nas", {"name": name} | fields)
        if answer.status == 200:
            self.mounted(name)
        return answer

    def mounted(self, name: str) -> None:
        """The background mount ended (bounded wait)."""
        for _ in range(300):
            target = self.targets.get(name)
            if not target.error and name in self.targets._nas_state:
                return
            if target.error and "being mounted" not in target.error:
                return
            time.sleep(0.01)
        raise AssertionError(f"{name} was not mounted")

    def target_json(self, name: str) -> dict[str, Any]:
        listing = self.ask("GET", "/api/v1/storage").json()
        (found,) = [t for t in listing["targets"] if t["name"] == name]
        return dict(found)


@pytest.fixture
def unit(tmp_path: Path) -> Unit:
    return Unit(tmp_path)


# The mount options, exactly.


def test_nfs_options_and_unit_properties_are_exact() -> None:
    spec = nas_spec("nas-archive", NFS)
    assert nas_options(spec, None) == (
        "vers=4.1,soft,timeo=50,retrans=2,nodev,nosuid,noexec,noatime,_netdev,rw"
    )
    where = Path("/run/orpheus/storage/nas-archive")
    assert nas_unit_properties(spec, where, None) == [
        ("Description", "s", "Orpheus recordings storage nas-archive"),
        ("What", "s", "nas.example:/srv/recordings"),
        ("Where", "s", "/run/orpheus/storage/nas-archive"),
        ("Type", "s", "nfs"),
        ("Options", "s", "vers=4.1,soft,timeo=50,retrans=2,nodev,nosuid,noexec,noatime,"
                         "_netdev,rw"),
        ("LazyUnmount", "b", True),
        ("ForceUnmount", "b", True),
        ("CollectMode", "s", "inactive-or-failed"),
        ("TimeoutUSec", "t", 15_000_000),
    ]  # fmt: skip


def test_smb_options_are_exact_and_name_only_the_credentials_file() -> None:
    spec = nas_spec("nas-office", SMB)
    credentials = Path("/data/orpheus/nas/nas-office.credentials")
    assert nas_options(spec, credentials) == (
        "vers=3.0,soft,echo_interval=10,nodev,nosuid,noexec,noatime,_netdev,"
        "credentials=/data/orpheus/nas/nas-office.credentials,uid=0,gid=0,file_mode=0600,"
        "dir_mode=0700,rw"
    )
    properties = dict((key, value) for key, _, value in nas_unit_properties(
        spec, Path("/run/orpheus/storage/nas-office"), credentials))  # fmt: skip
    assert properties["What"] == "//192.0.2.20/recordings/pbx"
    assert properties["Type"] == "cifs"
    with pytest.raises(BadNas):
        nas_options(spec, None)  # never an SMB mount without its file


def test_systemd_mounts_start_the_transient_unit_and_keep_an_active_one() -> None:
    systemd = FakeSystemd()
    mounts = SystemdMounts(systemd)
    spec = nas_spec("nas-office", SMB)
    where = Path("/nonexistent-orpheus-test") / "nas-office"
    systemd.states[unit_name(where)] = "active"  # mounted before the agent restarted
    mounts.mount_nas(spec, where, Path("/data/orpheus/nas/nas-office.credentials"))
    assert systemd.calls == []
    assert not where.exists()  # nothing touched the (maybe dead) mount point


def test_systemd_mounts_a_new_nas(tmp_path: Path) -> None:
    systemd = FakeSystemd()
    where = tmp_path / "nas-archive"
    SystemdMounts(systemd).mount_nas(nas_spec("nas-archive", NFS), where, None)
    unit = unit_name(where)
    assert systemd.calls == [("start-transient", unit)]
    options = dict((k, v) for k, _, v in systemd.transient[unit])["Options"]
    assert options.startswith("vers=4.1,soft,timeo=50,retrans=2,")


# Hostile fields, refused before any mount.


@pytest.mark.parametrize(
    "field, value",
    [
        ("host", "a,b"), ("host", "x -o"), ("host", "-oremount"), ("host", "nas\n"),
        ("host", "nas.example:/other"), ("host", ""), ("host", "999.1.1.1"),
        ("host", "nas;reboot"), ("host", "a" * 300),
        ("share", "/srv/rec ordings"), ("share", "/srv/../etc"), ("share", "/srv/rec\n"),
        ("share", "/srv/a,vers=2"), ("share", "srv"), ("share", "//srv"), ("share", "/srv/."),
        ("kind", "ftp"),
    ],
)  # fmt: skip
def test_hostile_nfs_fields_are_refused(unit: Unit, field: str, value: str) -> None:
    with pytest.raises(BadNas):
        nas_spec("nas-archive", NFS | {field: value})
    answer = unit.ask("POST", "/api/v1/storage/nas", {"name": "nas-archive"} | NFS | {field: value})
    assert answer.status == 400
    assert unit.mounter.mounts == [] and unit.audit.entries == []
    assert not (unit.state_dir / "storage.json").exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("share", "rec ordings"), ("share", "../rec"), ("share", "rec/.."), ("share", "/rec"),
        ("share", "rec,domain=x"), ("username", "pbx,uid=0"), ("username", "pbx\npassword=x"),
        ("username", ""), ("domain", "OFF ICE"), ("domain", "a,b"),
        ("password", "line\nusername=root"), ("password", ""),
    ],
)  # fmt: skip
def test_hostile_smb_fields_are_refused(unit: Unit, field: str, value: str) -> None:
    answer = unit.ask("POST", "/api/v1/storage/nas", {"name": "nas-office"} | SMB | {field: value})
    assert answer.status == 400
    assert unit.mounter.mounts == [] and not (unit.state_dir / "nas").exists()


@pytest.mark.parametrize("name", ["nas-", "nas-A", "usb-nas", "nas-a b", "nas-../x", "nas"])
def test_bad_names_are_refused(unit: Unit, name: str) -> None:
    assert unit.ask("POST", "/api/v1/storage/nas", {"name": name} | NFS).status == 400
    with pytest.raises(BadNas):
        nas_spec(name, NFS)


def test_registry_checks_the_fields_too(unit: Unit) -> None:
    """Not only the schema: the registry's own check (the settings file is read back too)."""
    with pytest.raises(BadNas):
        unit.targets.add_nas("nas-office", SMB | {"host": "a,b"}, "admin")
    with pytest.raises(BadNas):
        unit.targets.add_nas("nas-office", SMB | {"password": "a\nb"}, "admin")


# The password: in its root-only file, nowhere else.


def test_smb_password_is_only_in_its_root_only_file(
    unit: Unit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = unit.add("nas-office", SMB)
    assert answer.status == 200, answer.body
    credentials = unit.state_dir / "nas" / "nas-office.credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials.parent.stat().st_mode) == 0o700
    assert credentials.read_text() == f"username=pbx\npassword={PASSWORD}\ndomain=OFFICE\n"
    ((spec, where, passed),) = unit.mounter.mounts
    assert passed == credentials and spec.source == "//192.0.2.20/recordings/pbx"
    properties = nas_unit_properties(spec, where, passed)
    seen = [
        answer.body.decode(),
        unit.ask("GET", "/api/v1/storage").body.decode(),
        repr(unit.audit.entries),
        json.dumps([e.__dict__ for e in unit.audit.entries], default=str),
        (unit.state_dir / "storage.json").read_text(),
        repr(properties),
        repr(spec),
        caplog.text,
        unit.ask("DELETE", "/api/v1/storage/nas-office").body.decode(),
        repr(unit.audit.entries),
    ]
    for text in seen:
        assert PASSWORD not in text
        assert "Sup3r" not in text
    assert str(credentials) in dict((k, v) for k, _, v in properties)["Options"]
    assert not credentials.exists()  # removed with the NAS


def test_settings_keep_the_nas_without_its_password_and_bring_it_back(unit: Unit) -> None:
    assert unit.add("nas-office", SMB).status == 200
    kept = json.loads((unit.state_dir / "storage.json").read_text())
    assert kept["nas"] == {
        "nas-office": {
            "kind": "smb",
            "host": "192.0.2.20",
            "share": "recordings/pbx",
            "username": "pbx",
            "domain": "OFFICE",
        }
    }
    again = Unit.__new__(Unit)
    again.__dict__.update(unit.__dict__)
    restarted = StorageTargets(
        unit.tmp_path / "data" / "recordings", unit.tmp_path / "run" / "storage", UsbMounter(),
        unit.state_dir / "storage.json", Audit(), mounted=Path.is_dir, nas_mounter=NasMounter(),
        credentials=Credentials(unit.state_dir / "nas"),
    )  # fmt: skip
    assert restarted.load_nas() == ["nas-office"]
    assert [t.name for t in restarted.targets()] == ["internal", "nas-office"]


def test_a_name_taken_is_refused(unit: Unit) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    assert unit.ask("POST", "/api/v1/storage/nas", {"name": "nas-archive"} | NFS).status == 409


# States: mounted, a dead NAS never blocks, changes audited, mounted again.


def test_a_mounted_nas_is_listed_with_its_figures(unit: Unit) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    target = unit.targets.get("nas-archive")
    make_recording(target.store, "1764650000.1")
    deadline = time.monotonic() + 3
    while (found := unit.target_json("nas-archive"))["recordings"] != 1:  # refreshed behind
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert found["kind"] == "nas" and found["fs_type"] == "nfs"
    assert found["device"] == "nas.example:/srv/recordings"
    assert found["state"] in ("mounted", "full") and found["size_bytes"] > 0
    (added,) = [e for e in unit.audit.entries if e.change == "storage.nas-added"]
    assert added.after == {"kind": "nfs", "host": "nas.example", "share": "/srv/recordings"}
    states = [e.after["state"] for e in unit.audit.entries if e.change == "storage.nas-state"]
    assert states[0] in ("mounted", "full")


def test_a_failed_mount_is_unreachable_with_its_error(unit: Unit) -> None:
    unit.mounter.failure = "cannot mount nas-archive (nas.example:/srv/recordings): timed out"
    assert unit.add("nas-archive", NFS).status == 200
    found = unit.target_json("nas-archive")
    assert found["state"] == "unreachable" and "timed out" in found["message"]
    assert any("NAS nas-archive is unreachable" in a for a in unit.targets.alarms())
    unit.mounter.failure = None
    unit.targets.nas_tick()  # remount_seconds=0: mounted again at once
    unit.mounted("nas-archive")
    for _ in range(200):
        if unit.target_json("nas-archive")["state"] in ("mounted", "full"):
            break
        time.sleep(0.01)
    unit.targets.nas_tick()
    states = [e.after["state"] for e in unit.audit.entries if e.change == "storage.nas-state"]
    assert states[0] == "unreachable" and states[-1] in ("mounted", "full")
    assert unit.targets.alarms() == []


@pytest.fixture
def dead_nas(monkeypatch: pytest.MonkeyPatch) -> Any:
    """statvfs blocks forever on a path under a 'nas-' folder (released at the end)."""
    release = threading.Event()
    calls: list[tuple[str, str]] = []
    real = os.statvfs

    def statvfs(path: Any) -> Any:
        calls.append((threading.current_thread().name, str(path)))
        if "nas-" in str(path):
            release.wait()
            raise OSError(5, "Input/output error")
        return real(path)

    monkeypatch.setattr(targets_module.os, "statvfs", statvfs)
    yield calls
    release.set()


T = TypeVar("T")
# How long a call may take before the test calls it hung. Not a speed check (the machines
# are noisy, and the agent's own bound is 0.5 s): the fake NAS blocks forever, so a call that
# waited on it would never return.
HANG_GUARD_SECONDS = 30.0


def returns(call: Callable[[], T]) -> T:
    """call's result (or its exception) from another thread, failing if it never returns."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            outcome.append((False, error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_SECONDS)
    assert outcome, "the call waited on the hung NAS"
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def test_a_hung_nas_answers_unreachable_from_the_request_thread_and_is_audited(
    unit: Unit, dead_nas: list[tuple[str, str]]
) -> None:
    assert unit.add("nas-archive", NFS).status == 200  # the measure hangs from the start
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while True:  # the mount is done in the background: "being mounted" until it is
        answer = returns(lambda: unit.ask("GET", "/api/v1/storage"))
        assert answer.status == 200
        (found,) = [t for t in answer.json()["targets"] if t["name"] == "nas-archive"]
        if "being mounted" not in found["message"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found["state"] == "unreachable" and "does not answer" in found["message"], found
    for _ in range(3):  # again and again: it answers, still one worker stuck
        assert returns(lambda: unit.ask("GET", "/api/v1/storage")).status == 200
    # (this unit's paths only: an earlier test's measure thread may still be out)
    mine = str(unit.targets.mount_root)
    stuck = [name for name, path in dead_nas if "nas-" in path and path.startswith(mine)]
    assert stuck and set(stuck) == {"nas-measure"}  # never the request's thread
    assert len(stuck) == 1
    unit.targets.nas_tick()
    states = [e.after["state"] for e in unit.audit.entries if e.change == "storage.nas-state"]
    assert states == ["unreachable"]
    assert not unit.targets.get("nas-archive").reachable()
    snmp = StorageValues(unit.targets)()
    (row,) = [r for r in snmp["targets"] if r["name"] == "nas-archive"]
    assert row["state_name"] == "unreachable" and row["mounted"] is False


def test_a_nas_that_stops_answering_becomes_unreachable_and_is_audited(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    assert unit.target_json("nas-archive")["state"] in ("mounted", "full")
    release = threading.Event()
    real = os.statvfs

    def statvfs(path: Any) -> Any:
        if "nas-" in str(path):
            release.wait()
        return real(path)

    monkeypatch.setattr(targets_module.os, "statvfs", statvfs)
    try:
        deadline = time.monotonic() + 3
        while unit.target_json("nas-archive")["state"] != "unreachable":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        unit.targets.nas_tick()
        states = [e.after["state"] for e in unit.audit.entries if e.change == "storage.nas-state"]
        assert states[-1] == "unreachable" and len(states) == 2
    finally:
        release.set()


def test_snmp_lists_the_nas(unit: Unit) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    rows = StorageValues(unit.targets)()["targets"]
    assert [r["name"] for r in rows] == ["internal", "nas-archive"]
    assert rows[1]["label"] == "nas.example" and rows[1]["index"] == 2


# Removal.


def test_removal_is_refused_while_in_use_or_the_default(unit: Unit) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    unit.in_use["nas-archive"] = "job 7 (copy) uses it"
    answer = unit.ask("DELETE", "/api/v1/storage/nas-archive")
    assert answer.status == 409 and "job 7" in answer.json()["error"]
    del unit.in_use["nas-archive"]
    assert unit.ask("PUT", "/api/v1/storage/default", {"target": "nas-archive"}).status == 200
    answer = unit.ask("DELETE", "/api/v1/storage/nas-archive")
    assert answer.status == 409 and "default" in answer.json()["error"]
    assert unit.mounter.unmounted == []
    assert unit.ask("PUT", "/api/v1/storage/default", {"target": "internal"}).status == 200
    assert unit.ask("DELETE", "/api/v1/storage/nas-archive").json() == {"removed": "nas-archive"}
    assert unit.mounter.unmounted == [unit.tmp_path / "run/storage/nas-archive"]
    assert [t.name for t in unit.targets.targets()] == ["internal"]
    assert json.loads((unit.state_dir / "storage.json").read_text())["nas"] == {}
    assert unit.audit.entries[-1].change == "storage.nas-removed"


def test_internal_and_usb_are_not_removed_and_a_nas_not_ejected(unit: Unit) -> None:
    assert unit.ask("DELETE", "/api/v1/storage/internal").status == 409
    assert unit.ask("DELETE", "/api/v1/storage/nas-none").status == 404
    assert unit.add("nas-archive", NFS).status == 200
    assert unit.ask("POST", "/api/v1/storage/nas-archive/eject").status == 409
    with pytest.raises(TargetRefused):
        unit.targets.recheck("nas-archive", "admin", unit.in_use.get)


# Placement onto a NAS.


def test_placement_moves_finished_recordings_to_the_nas(unit: Unit) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    unit.targets.set_default("nas-archive", "admin")
    settings = {"enabled": True, "storage": "nas"}
    placement = Placement(unit.targets, lambda: settings,
                          unit.state_dir / PENDING_FILE, unit.audit)  # fmt: skip
    internal = RecordingStore(unit.tmp_path / "data/recordings")
    data = make_recording(internal, "1764650000.1")
    placement.finished("1764650000.1")
    assert placement.place_pending() == 1
    nas_dir = unit.tmp_path / "run/storage/nas-archive/orpheus-recordings"
    assert unit.targets.get("nas-archive").recordings_dir == nas_dir
    assert RecordingStore(nas_dir).audio_path("1764650000.1").read_bytes() == data
    assert not internal.audio_path("1764650000.1").exists()
    (placed,) = [e for e in unit.audit.entries if e.change == "recording.placed"]
    assert placed.after["target"] == "nas-archive"
    settings["storage"] = "usb"  # a NAS default is not a USB drive
    assert placement.destination()[0] is None


def test_placement_waits_while_the_nas_is_unreachable(unit: Unit) -> None:
    unit.mounter.failure = "cannot mount nas-archive: no route to host"
    assert unit.add("nas-archive", NFS).status == 200
    settings = {"enabled": True, "storage": "nas"}
    placement = Placement(unit.targets, lambda: settings,
                          unit.state_dir / PENDING_FILE, unit.audit)  # fmt: skip
    assert placement.destination() == (None, placement.destination()[1])  # no NAS default
    unit.targets._write_settings(unit.targets._read_settings() | {"default": "nas-archive"})
    make_recording(RecordingStore(unit.tmp_path / "data/recordings"), "1764650000.1")
    placement.finished("1764650000.1")
    assert placement.place_pending() == 0
    assert "nas-archive is unreachable" in placement.waiting


# The CLI's body.


def _args(**values: Any) -> argparse.Namespace:
    base = {"name": "nas-office", "nfs": None, "smb": None, "username": None, "domain": None,
            "password_stdin": True}  # fmt: skip
    return argparse.Namespace(**(base | values))


def test_cli_builds_the_nas_body(monkeypatch: pytest.MonkeyPatch) -> None:
    body = nas_body(_args(nfs="nas.example:/srv/recordings"))
    assert body == {"name": "nas-office", "kind": "nfs", "host": "nas.example",
                    "share": "/srv/recordings"}  # fmt: skip
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PASSWORD + "\n"))
    body = nas_body(_args(smb="//192.0.2.20/recordings", username="pbx", domain="OFFICE"))
    assert body == {"name": "nas-office", "kind": "smb", "host": "192.0.2.20",
                    "share": "recordings", "username": "pbx", "password": PASSWORD,
                    "domain": "OFFICE"}  # fmt: skip
    for bad in (_args(nfs="nas.example"), _args(smb="nas/share", username="u"),
                _args(smb="//nas/share")):  # fmt: skip
        with pytest.raises(AgentError):
            nas_body(bad)


def test_orpheusctl_add_nas_list_and_remove(
    unit: Unit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orpheus.cli import main as cli_main

    class Client:
        def request(self, method: str, path: str, body: Any = None) -> Any:
            answer = unit.ask(method, path, body)
            if answer.status >= 400:
                raise AgentError(answer.json()["error"])
            return answer.json()

    monkeypatch.setattr(cli_main, "AgentClient", lambda socket: Client())
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PASSWORD + "\n"))
    argv = ["storage", "add-nas", "nas-office", "--smb", "//192.0.2.20/recordings",
            "--username", "pbx", "--password-stdin"]  # fmt: skip
    assert cli_main.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("nas-office added (//192.0.2.20/recordings), ")
    assert PASSWORD not in out
    unit.mounted("nas-office")
    assert cli_main.main(["storage", "list"]) == 0
    assert "nas-office" in capsys.readouterr().out
    assert cli_main.main(["storage", "add-nas", "nas-bad", "--nfs", "a,b:/srv"]) == 1
    assert "orpheusctl:" in capsys.readouterr().err
    assert cli_main.main(["storage", "remove", "nas-office"]) == 0
    assert capsys.readouterr().out == "nas-office removed: unmounted, its credentials deleted\n"


def test_the_watch_mounts_the_kept_nas_at_start_and_stops(unit: Unit) -> None:
    assert unit.add("nas-archive", NFS).status == 200
    mounter = NasMounter()
    mounter.failure = "cannot mount nas-archive: no route to host"
    restarted = StorageTargets(
        unit.tmp_path / "data" / "recordings", unit.tmp_path / "run" / "storage", UsbMounter(),
        unit.state_dir / "storage.json", Audit(), mounted=Path.is_dir, nas_mounter=mounter,
        credentials=Credentials(unit.state_dir / "nas"), remount_seconds=0.0,
        nas_bounds={"wait_seconds": 0.2, "timeout_seconds": 0.3, "fresh_seconds": 0.0},
    )  # fmt: skip
    feature = StorageFeature(restarted, nas_watch_seconds=0.02)
    feature.start()
    try:
        deadline = time.monotonic() + 3
        while mounter.attempts < 3:  # failing: mounted again at each watch tick
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert restarted.get("nas-archive").error.endswith("no route to host")
        mounter.failure = None
        while restarted.get("nas-archive").error:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert [where for _, where, _ in mounter.mounts] == [restarted.get("nas-archive").root]
    finally:
        feature.stop()


def test_a_nas_store_read_on_a_request_is_bounded(unit: Unit) -> None:
    """The recordings list reads a NAS's store through BoundedStore: a hung read is an
    OSError within its bound, and while it is out the next read fails at once."""
    from orpheus.storage.nas import BoundedStore

    assert unit.add("nas-archive", NFS).status == 200
    target = unit.targets.get("nas-archive")
    make_recording(target.store, "1764650000.1")
    settings = {"enabled": True, "storage": "nas"}
    placement = Placement(unit.targets, lambda: settings, unit.state_dir / PENDING_FILE)
    (store,) = placement.other_stores()
    assert isinstance(store, BoundedStore)
    assert [f["id"] for f in store.recordings()] == ["1764650000.1"]
    assert store.get("1764650000.1")["id"] == "1764650000.1"
    release = threading.Event()
    hung = BoundedStore(target.recordings_dir, timeout_seconds=0.2)
    with pytest.raises(OSError, match="does not answer"):
        returns(lambda: hung._bounded(release.wait))
    with pytest.raises(OSError, match="does not answer"):
        returns(hung.recordings)  # the first read still out: refused at once
    release.set()
    deadline = time.monotonic() + 2
    while True:  # the stuck read ended: reads go through again
        try:
            assert len(hung.recordings()) == 1
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.01)


# A NAS on a port of its own (a server on a non-standard port, e.g. a test's on loopback).


def test_the_port_is_a_mount_option_of_both_kinds_only_when_given() -> None:
    nfs = nas_spec("nas-archive", NFS | {"port": 20490})
    assert nfs.port == 20490
    assert nas_options(nfs, None) == (
        "vers=4.1,soft,timeo=50,retrans=2,port=20490,nodev,nosuid,noexec,noatime,_netdev,rw"
    )
    assert "port=" not in nas_options(nas_spec("nas-archive", NFS), None)
    credentials = Path("/data/orpheus/nas/nas-office.credentials")
    smb = nas_spec("nas-office", SMB | {"port": 4450})
    assert nas_options(smb, credentials) == (
        "vers=3.0,soft,echo_interval=10,port=4450,nodev,nosuid,noexec,noatime,_netdev,"
        "credentials=/data/orpheus/nas/nas-office.credentials,uid=0,gid=0,file_mode=0600,"
        "dir_mode=0700,rw"
    )
    assert "port=" not in nas_options(nas_spec("nas-office", SMB), credentials)
    assert nas_spec("nas-archive", NFS | {"port": None}).port is None


@pytest.mark.parametrize("port", [0, -1, 65536, 1e9, True, False, "2049", 2049.0, [2049]])
def test_bad_ports_are_refused(unit: Unit, port: object) -> None:
    with pytest.raises(BadNas, match="not a valid NAS port") as refused:
        nas_spec("nas-archive", NFS | {"port": port})
    assert "\n" not in str(refused.value)
    answer = unit.ask("POST", "/api/v1/storage/nas", {"name": "nas-archive", "port": port} | NFS)
    assert answer.status == 400
    assert "port" in answer.json()["error"]
    with pytest.raises(BadNas):
        unit.targets.add_nas("nas-archive", NFS | {"port": port}, "admin")
    assert unit.mounter.mounts == [] and not (unit.state_dir / "storage.json").exists()


def test_the_port_is_kept_listed_and_brought_back(unit: Unit) -> None:
    assert unit.add("nas-office", SMB | {"port": 4450}).status == 200
    assert unit.add("nas-archive", NFS | {"port": 20490}).status == 200
    kept = json.loads((unit.state_dir / "storage.json").read_text())["nas"]
    assert kept["nas-office"] == {"kind": "smb", "host": "192.0.2.20", "share": "recordings/pbx",
                                  "username": "pbx", "domain": "OFFICE", "port": 4450}  # fmt: skip
    assert kept["nas-archive"] == {"kind": "nfs", "host": "nas.example",
                                   "share": "/srv/recordings", "port": 20490}  # fmt: skip
    listed = unit.target_json("nas-office")
    assert listed["port"] == 4450 and listed["device"] == "//192.0.2.20/recordings/pbx"
    assert PASSWORD not in json.dumps(unit.ask("GET", "/api/v1/storage").json())
    assert "port" not in NasSpec("nas-x", "nfs", "nas.example", "/srv").as_settings()
    mounter = NasMounter()
    restarted = StorageTargets(
        unit.tmp_path / "data" / "recordings", unit.tmp_path / "run" / "storage", UsbMounter(),
        unit.state_dir / "storage.json", Audit(), mounted=Path.is_dir, nas_mounter=mounter,
        credentials=Credentials(unit.state_dir / "nas"),
    )  # fmt: skip
    assert sorted(restarted.load_nas()) == ["nas-archive", "nas-office"]
    for _ in range(300):
        if len(mounter.mounts) == 2:
            break
        time.sleep(0.01)
    assert sorted((spec.name, spec.port) for spec, _, _ in mounter.mounts) == [
        ("nas-archive", 20490), ("nas-office", 4450)]  # fmt: skip


def test_the_openapi_shows_the_port(unit: Unit) -> None:
    from orpheus.storage.schemas import NAS_REQUEST, TARGET

    for schema in (NAS_REQUEST, TARGET):
        port = schema["properties"]["port"]
        assert (port["type"], port["minimum"], port["maximum"]) == ("integer", 1, 65535)
    assert "port" not in NAS_REQUEST.get("required", ())
    spec = unit.ask("GET", "/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/storage/nas"]["post"]["requestBody"]["content"]
    port = body["application/json"]["schema"]["properties"]["port"]
    assert (port["type"], port["minimum"], port["maximum"]) == ("integer", 1, 65535)


def test_cli_takes_the_port(
    unit: Unit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orpheus.cli import main as cli_main

    body = nas_body(_args(nfs="10.0.2.2:/rec", port=20490))
    assert body == {"name": "nas-office", "kind": "nfs", "host": "10.0.2.2", "share": "/rec",
                    "port": 20490}  # fmt: skip
    assert "port" not in nas_body(_args(nfs="10.0.2.2:/rec", port=None))

    class Client:
        def request(self, method: str, path: str, body: Any = None) -> Any:
            answer = unit.ask(method, path, body)
            if answer.status >= 400:
                raise AgentError(answer.json()["error"])
            return answer.json()

    monkeypatch.setattr(cli_main, "AgentClient", lambda socket: Client())
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PASSWORD + "\n"))
    argv = ["storage", "add-nas", "nas-office", "--smb", "//10.0.2.2/rec", "--port", "4450",
            "--username", "pbx", "--password-stdin"]  # fmt: skip
    assert cli_main.main(argv) == 0
    assert capsys.readouterr().out.startswith("nas-office added (//10.0.2.2/rec, port 4450), ")
    assert unit.targets._specs["nas-office"].port == 4450
    for bad in ("0", "65536", "x", "-1"):
        with pytest.raises(SystemExit):
            cli_main.main(["storage", "add-nas", "nas-b", "--nfs", "h:/e", "--port", bad])
        assert "not a TCP port" in capsys.readouterr().err


def test_reads_of_a_slow_but_live_nas_wait_their_turn_instead_of_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several CDRs of one call arrive together: the second read waits for the first (within
    the bound) rather than being told the NAS does not answer."""
    store = BoundedStore(tmp_path / "recordings", timeout_seconds=HANG_GUARD_SECONDS)
    make_recording(RecordingStore(store.directory), "1764650000.1")
    real = RecordingStore.get

    def slow_get(self: RecordingStore, recording_id: str) -> dict[str, Any]:
        time.sleep(0.3)
        return real(self, recording_id)

    monkeypatch.setattr(RecordingStore, "get", slow_get)
    outcomes: list[object] = []

    def read() -> None:
        try:
            outcomes.append(store.get("1764650000.1")["id"])
        except OSError as error:
            outcomes.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(HANG_GUARD_SECONDS)
    assert outcomes == ["1764650000.1"] * 3
