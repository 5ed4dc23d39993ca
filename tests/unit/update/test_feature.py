"""POST /api/v1/update through the agent's real bottle application: an upload cut half-way
(the body ends early, or its reads raise) ends the job failed, leaves no partial file and
lets the next install in. RAUC cannot run here: the install's work after the upload is
replaced (Installer.run); the update walk in QEMU runs it for real."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import Api
from orpheus.auth import PasswordStore
from orpheus.dbus.fakes import FakeRauc
from orpheus.jobs.model import Job
from orpheus.jobs.registry import JobRegistry
from orpheus.update.feature import UpdateFeature
from orpheus.update.installer import InstallDeps, InstallRequest
from orpheus.update.jobs import JobSlot
from orpheus.update.policy import Firmware
from orpheus.update.rauc_view import RaucView
from orpheus.update.schema import ConfigStore
from orpheus.update.state import UpdateState
from tests.unit.api.test_upload import CutStream
from tests.unit.wsgi_call import Answer, call

BUNDLE = b"B" * (3 * 1024 * 1024 + 17)  # over a few of the upload's chunks
SLOTS = {"rootfs.0": {"bootname": "A", "state": "booted", "boot-status": "good"}}


class Unit:
    """The update feature of an agent on a development tree, its installs recorded."""

    def __init__(self, tmp_path: Path) -> None:
        self.registry = JobRegistry()
        deps = InstallDeps(
            state=UpdateState(tmp_path / "state/update/state.json"),
            config=ConfigStore(tmp_path / "etc", tmp_path / "state"),
            running=Firmware("1.0.0", "2026-01-01T00:00:00Z", "0.0.0"),
            booted_slot="A",
            data_dir=tmp_path,
            support_until=lambda: date(2099, 1, 1),
            active_calls=lambda: 0,
            reboot=lambda: None,
            boot_id=lambda: "boot-1",
            rauc=FakeRauc(),
        )
        self.upload_dir = tmp_path / "state/update/upload"
        view = RaucView(lambda: (SLOTS, "rootfs.0"), deps.rauc.mark)
        view.refresh()
        self.feature = UpdateFeature(deps, self.upload_dir, view, JobSlot(self.registry))
        self.installed: list[bytes] = []
        self.release = threading.Event()
        self.release.set()
        self.feature.installer.run = self._install  # type: ignore[method-assign]
        api = Api(PasswordStore(tmp_path / "state"))
        self.feature.install_routes(api)
        self.app = api.app

    def _install(self, job: Job, request: InstallRequest) -> str:
        self.installed.append(Path(request.source).read_bytes())
        self.release.wait(10)
        return "firmware 1.1.0 installed to slot B; it boots next (reboot when convenient)"

    def upload(self, body: Any, length: int = len(BUNDLE)) -> Answer:
        return call(
            self.app,
            "POST",
            "/api/v1/update",
            body=body,
            length=length,
            content_type="application/octet-stream",
        )

    def job(self) -> dict[str, Any]:
        status = call(self.app, "GET", "/api/v1/update")
        assert status.status == 200, status.body
        return dict(status.body["job"])

    def wait_ended(self, job_id: int) -> Job:
        for _ in range(500):
            job = self.registry.get(job_id)
            if job is not None and not job.running:
                return job
            threading.Event().wait(0.01)
        raise AssertionError(f"job {job_id} did not end")

    def last_install(self) -> dict[str, Any]:
        return dict(self.feature.deps.state.read()["last_install"])


@pytest.fixture
def unit(tmp_path: Path) -> Unit:
    return Unit(tmp_path)


def _assert_the_next_install_is_accepted(unit: Unit) -> None:
    answer = unit.upload(BUNDLE)
    assert answer.status == 202, answer.body
    job = unit.wait_ended(answer.body["id"])
    assert job.state == "succeeded", job.as_dict()
    assert unit.installed == [BUNDLE], "the second upload reached the install whole"


def test_an_upload_whose_body_ends_early_fails_its_job_and_the_next_is_accepted(
    unit: Unit,
) -> None:
    half = len(BUNDLE) // 2
    answer = unit.upload(CutStream(BUNDLE, half))
    message = f"upload cut after {half} of {len(BUNDLE)} bytes"
    assert answer.status == 400 and answer.body == {"error": message}
    job = unit.job()
    assert (job["state"], job["message"]) == ("failed", message)
    assert job["finished_at"] is not None and job["log"][-1] == f"failed: {message}"
    assert unit.last_install()["result"] == "failed"
    assert unit.last_install()["message"] == message
    assert list(unit.upload_dir.iterdir()) == [], "the partial file is deleted"
    assert unit.installed == []
    _assert_the_next_install_is_accepted(unit)


def test_an_upload_whose_client_goes_away_fails_its_job_and_the_next_is_accepted(
    unit: Unit,
) -> None:
    gone = ConnectionResetError(104, "Connection reset by peer")
    answer = unit.upload(CutStream(BUNDLE, 1024 * 1024 + 5, gone))
    assert answer.status == 400
    assert answer.body["error"] == (
        f"upload cut after {1024 * 1024 + 5} of {len(BUNDLE)} bytes: "
        "[Errno 104] Connection reset by peer"
    )
    assert unit.job()["state"] == "failed"
    assert list(unit.upload_dir.iterdir()) == []
    _assert_the_next_install_is_accepted(unit)


def test_an_unexpected_error_in_the_upload_still_ends_its_job(unit: Unit) -> None:
    try:
        answer = unit.upload(CutStream(BUNDLE, 100, RuntimeError("input broken")))
    except RuntimeError:
        pass  # bottle (catchall off) hands it to the server, which answers 500
    else:
        assert answer.status == 500, answer.body
    job = unit.job()
    assert (job["state"], job["message"]) == (
        "failed",
        "unexpected error: RuntimeError: input broken",
    )
    assert list(unit.upload_dir.iterdir()) == []
    _assert_the_next_install_is_accepted(unit)


def test_an_upload_without_its_size_is_refused(unit: Unit) -> None:
    answer = call(
        unit.app,
        "POST",
        "/api/v1/update",
        body=CutStream(BUNDLE, 10),
        length=-1,
        content_type="application/octet-stream",
    )
    assert answer.status == 400 and "no Content-Length" in answer.body["error"]
    assert unit.job()["state"] == "refused"
    _assert_the_next_install_is_accepted(unit)


def test_a_second_install_while_one_runs_is_refused_with_the_running_job(unit: Unit) -> None:
    unit.release.clear()  # the first install holds until released
    first = unit.upload(BUNDLE)
    assert first.status == 202
    second = unit.upload(BUNDLE)
    assert second.status == 409
    assert second.body["error"].startswith(
        f"an update job is already running (job {first.body['id']}, install, "
    )
    unit.release.set()
    assert unit.wait_ended(first.body["id"]).state == "succeeded"
    assert unit.job()["id"] == first.body["id"], "the refused install did not replace it"


def test_an_install_whose_work_raises_ends_failed_and_is_the_last_install(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real Installer.run, its install step raising what nothing expects."""
    installer = unit.feature.installer
    del installer.run  # the class's own run again, not the Unit's stand-in

    def install(job: Job, request: InstallRequest) -> str:
        raise KeyError("no such key")

    monkeypatch.setattr(installer, "_install", install)
    answer = unit.upload(BUNDLE)
    assert answer.status == 202
    job = unit.wait_ended(answer.body["id"])
    assert (job.state, job.message) == ("failed", "unexpected error: KeyError: 'no such key'")
    last = unit.last_install()
    assert last["message"] == "install failed: unexpected error: KeyError: 'no such key'"
    assert last["result"] == "failed" and last["source"] == "upload"
