"""NAS targets on the booted image against real servers on the host's loopback, which the
guest reaches through QEMU's user networking as 10.0.2.2 (testbed/nas_servers.py): an NFSv4
export of nfs-ganesha and an SMB share of Samba's smbd.

A recorded call moves to the NFS export and the file the server holds decrypts with Debian's
age; the server stopped while mounted blocks nothing (the API answers, a call is recorded and
waits on internal) and the recording moves by itself once the server is back. A server that
is not there at mount time, wrong SMB credentials and a read-only share each give one clear
state or job message, and lose nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.nas_servers import GUEST_HOST_ADDRESS, free_port, nfs_export, samba_share
from testbed.vm import Vm
from tests.qemu.recorded_calls import (
    WAV_HEADER_BYTES,
    Recorder,
    assert_is_what_was_played,
    decrypt_with_age,
    download,
    new_recording,
    on_target,
    record_call,
    record_figure,
    set_default,
    set_recording_storage,
    wait_until,
)
from tests.qemu.test_boot import PASSWORD, on_guest
from tests.qemu.test_usb import target

NAS = "/api/v1/storage/nas"
# Each request while a NAS is dead is bounded by this (a hang guard, not a speed check: the
# figures are printed and the benchmark measures them).
ANSWER_GUARD_SECONDS = 20.0


def add_nas(vm: Vm, body: dict[str, Any]) -> dict[str, Any]:
    code, answer = vm.api("POST", NAS, PASSWORD, body)
    assert code == 200, answer
    return dict(answer)


def remove_nas(vm: Vm, name: str) -> None:
    code, answer = vm.api("DELETE", f"/api/v1/storage/{name}", PASSWORD, {})
    assert code == 200, answer


def state_of(vm: Vm, name: str, states: tuple[str, ...], timeout: float = 120.0) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        found = target(vm, name)
        being_mounted = found is not None and "being mounted" in str(found.get("message"))
        return found if found and found["state"] in states and not being_mounted else None

    return wait_until(f"{name} {'/'.join(states)}", settled, timeout)


@pytest.fixture
def recording_to(vm: Vm) -> Iterator[None]:
    """The recording settings at nas for the test; internal and the default back after."""
    set_recording_storage(vm, "nas")
    yield
    set_recording_storage(vm, "internal")
    set_default(vm, "internal")


def test_an_nfs_export_takes_the_recordings_and_a_dead_server_blocks_nothing(
    vm: Vm,
    ssh_key: Path,
    recorder: Recorder,
    recording_to: None,
    tmp_path: Path,
) -> None:
    name = "nas-nfs"
    workdir = tmp_path / "nfs"
    with nfs_export(workdir) as export:
        body = {"name": name, "kind": "nfs", "host": GUEST_HOST_ADDRESS,
                "share": export.export, "port": export.port}  # fmt: skip
        started = time.monotonic()
        add_nas(vm, body)
        mounted = state_of(vm, name, ("mounted",))
        record_figure("nfs_add_to_mounted_seconds", time.monotonic() - started)
        assert mounted["size_bytes"] > 0, mounted
        where = f"/run/orpheus/storage/{name}"
        options = on_guest(vm, ssh_key, "findmnt", "-n", "-o", "OPTIONS", where).strip()
        for option in ("soft", "timeo=50", "retrans=2", "nodev", "nosuid", "noexec"):
            assert option in options.split(","), options
        set_default(vm, name)
        recording = new_recording(vm, record_call(vm, ssh_key))
        on_target(vm, recording["id"], name)
        sealed = (export.directory / "orpheus-recordings" / f"{recording['id']}.age").read_bytes()
        audio = decrypt_with_age(sealed, recorder.identity)
        assert_is_what_was_played(audio, recorder.played)

    # The server is gone: the API keeps answering while the agent finds the NAS unreachable.
    latencies: list[float] = []

    def unreachable() -> dict[str, Any] | None:
        started = time.monotonic()
        code, listing = vm.api("GET", "/api/v1/storage", PASSWORD, timeout=ANSWER_GUARD_SECONDS)
        latencies.append(time.monotonic() - started)
        assert code == 200, listing
        found = next(t for t in listing["targets"] if t["name"] == name)
        return found if found["state"] == "unreachable" else None

    stopped = time.monotonic()
    dead = wait_until(f"{name} unreachable", unreachable, timeout=180, interval=1)
    record_figure("nas_dead_to_unreachable_seconds", time.monotonic() - stopped)
    record_figure("nas_dead_storage_list_answer_max_seconds", max(latencies))
    assert dead["message"], dead
    # A call is still set up and recorded; it waits on internal.
    waiting = new_recording(vm, record_call(vm, ssh_key))
    on_target(vm, waiting["id"], "internal")

    # The server back where the NAS was (same port, same files): the recording moves there.
    with nfs_export(workdir, port=export.port) as again:
        back = time.monotonic()
        state_of(vm, name, ("mounted",), timeout=180)
        on_target(vm, waiting["id"], name, timeout=180)
        record_figure("nfs_back_to_recording_moved_seconds", time.monotonic() - back)
        assert (again.directory / "orpheus-recordings" / f"{waiting['id']}.age").is_file()
        set_default(vm, "internal")
        remove_nas(vm, name)


def test_a_nas_with_no_server_at_mount_time_is_unreachable_and_blocks_nothing(
    vm: Vm, ssh_key: Path
) -> None:
    name = "nas-nowhere"
    body = {"name": name, "kind": "nfs", "host": GUEST_HOST_ADDRESS, "share": "/rec",
            "port": free_port()}  # fmt: skip
    started = time.monotonic()
    add_nas(vm, body)
    record_figure("nas_absent_add_answer_seconds", time.monotonic() - started)
    code, health = vm.api("GET", "/api/v1/status", PASSWORD, timeout=ANSWER_GUARD_SECONDS)
    assert code == 200, health
    found = state_of(vm, name, ("unreachable",), timeout=180)
    assert found["message"], found
    code, status = vm.api("GET", "/api/v1/status", PASSWORD)
    assert any(name in alarm for alarm in status["alarms"]), status["alarms"]
    remove_nas(vm, name)
    assert target(vm, name) is None


def test_an_smb_share_wrong_credentials_then_right_then_a_read_only_share(
    vm: Vm, ssh_key: Path, recorder: Recorder, recording_to: None, tmp_path: Path
) -> None:
    name, read_only = "nas-smb", "nas-smb-ro"
    with (
        samba_share(tmp_path / "smb") as share,
        samba_share(tmp_path / "smb-ro", read_only=True) as ro_share,
    ):
        body = {"name": name, "kind": "smb", "host": GUEST_HOST_ADDRESS, "share": share.share,
                "port": share.port, "username": share.user,
                "password": "not the password"}  # fmt: skip
        answer = add_nas(vm, body)
        assert "not the password" not in json.dumps(answer)
        refused = state_of(vm, name, ("unreachable",), timeout=180)
        assert refused["message"], refused
        # The password is in a root-only file alone: not in the answers, the mount unit or
        # the unit's command lines.
        code, listing = vm.api("GET", "/api/v1/storage", PASSWORD)
        assert code == 200 and "not the password" not in json.dumps(listing)
        remove_nas(vm, name)

        add_nas(vm, body | {"password": share.password})
        state_of(vm, name, ("mounted",))
        where = f"/run/orpheus/storage/{name}"
        unit = on_guest(vm, ssh_key, "systemd-escape", "--path", "--suffix=mount", where).strip()
        units = on_guest(vm, ssh_key, "systemctl", "show", "--property=Options,What,ExecMount",
                         unit)  # fmt: skip
        assert f"/{share.share}" in units and share.password not in units, units
        # (the kernel shows the mount's options as username=...: the file's path is gone by then)
        kept = f"/data/orpheus/nas/{name}.credentials"
        mode = on_guest(vm, ssh_key, "stat", "--format=%a %U", kept).split()
        assert mode == ["600", "root"], mode
        set_default(vm, name)
        recording = new_recording(vm, record_call(vm, ssh_key))
        on_target(vm, recording["id"], name)
        stored = share.directory / "orpheus-recordings" / f"{recording['id']}.age"
        assert_is_what_was_played(decrypt_with_age(stored.read_bytes(), recorder.identity),
                                  recorder.played)  # fmt: skip
        audio = download(vm, ssh_key, recording["id"])[WAV_HEADER_BYTES:]
        assert_is_what_was_played(audio, recorder.played)

        # A read-only share: mounted, and a copy to it ends with one line, nothing lost.
        ro_body = body | {"name": read_only, "share": ro_share.share, "port": ro_share.port,
                          "password": ro_share.password}  # fmt: skip
        add_nas(vm, ro_body)
        state_of(vm, read_only, ("mounted", "read-only"))
        code, job = vm.api("POST", "/api/v1/recordings/copy", PASSWORD,
                           {"from": name, "to": read_only})  # fmt: skip
        if code == 202:  # found out by the copy: the job says why
            finished = wait_until("the copy's end", lambda: _ended(vm, job["id"]), timeout=120)
            assert finished["state"] == "failed" and finished["message"], finished
            message = finished["message"]
        else:  # found out before: refused at once
            assert code == 409, job
            message = job["error"]
        assert read_only in message or "read-only" in message, message
        assert "\n" not in message
        assert not list(ro_share.directory.rglob("*")), list(ro_share.directory.rglob("*"))
        assert stored.is_file()
        set_default(vm, "internal")
        remove_nas(vm, read_only)
        remove_nas(vm, name)


def _ended(vm: Vm, job_id: int) -> dict[str, Any] | None:
    code, found = vm.api("GET", f"/api/v1/jobs/{job_id}", PASSWORD)
    assert code == 200, found
    return found if found["state"] != "running" else None
