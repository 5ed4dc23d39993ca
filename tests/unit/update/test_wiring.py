"""The update features as bootstrap wires them, with the D-Bus fakes in place of RAUC and
systemd (neither runs in the unit tests; the update walk in QEMU uses the real ones): an
install with --reboot writes through RAUC and reboots through systemd, a rollback marks the
other slot, a failed first boot is marked bad and rebooted, and a missing service is one
line, never a stuck job or a crash."""

from __future__ import annotations

import functools
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import bottle
import pytest

from orpheus.api.app import ApiError
from orpheus.config import AgentConfig
from orpheus.dbus.fakes import FakeRauc, FakeSystemd
from orpheus.dbus.rauc import BundleInfo
from orpheus.firmware import read_release
from orpheus.update import commit as commit_module
from orpheus.update import fetch
from orpheus.update.commit import CommitFeature
from orpheus.update.feature import UpdateFeature
from orpheus.update.installer import Installer, InstallRequest
from orpheus.update.jobs import Job
from orpheus.update.state import UpdateState
from orpheus.update.wiring import rauc_status, update_features

URL = "http://updates.example.invalid/orpheus-1.1.0.raucb"


class Unit:
    """update_features() on a temporary data directory, booted from slot A."""

    def __init__(self, tmp_path: Path, healthy: bool = True) -> None:
        release = tmp_path / "release.json"
        release.write_text(
            json.dumps({"version": "1.0.0", "build_date": "2026-01-01", "compatible": COMPATIBLE})
        )
        (tmp_path / "data/etc/asterisk").mkdir(parents=True)
        self.config = AgentConfig(
            data_dir=tmp_path / "data", release_file=release, commit_deadline_seconds=0.05
        )
        self.rauc = FakeRauc(bundle=BundleInfo(COMPATIBLE, "1.1.0", "2026-02-01", {}, {}))
        self.systemd = FakeSystemd()
        update, (_, commit, _keeper) = update_features(
            self.config,
            "A",
            lambda: (healthy, "ok" if healthy else "Asterisk is not answering"),
            _NoCalls(),  # type: ignore[arg-type]
            read_release(release),
            None,  # type: ignore[arg-type]
            systemd=self.systemd,
            rauc=self.rauc,
        )
        assert isinstance(update, UpdateFeature) and isinstance(commit, CommitFeature)
        self.update, self.commit = update, commit
        self.state = UpdateState(self.config.state_dir / "update/state.json")


COMPATIBLE = "orpheus-x86_64"  # what update/system.conf declares and release.json carries


class _NoCalls:
    """The Asterisk adapter as updates use it: no call in progress (no Asterisk runs here)."""

    def active_calls(self) -> int:
        return 0


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """URL answers with a bundle. No network here: the one download of it is replaced, and so
    is the check of the downloaded file against its signature (`rauc info`, RAUC's)."""

    def download(url: str, target: Path, room: int, *_: object, **__: object) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"a signed bundle")

    monkeypatch.setattr(fetch, "download", download)
    monkeypatch.setattr(Installer, "_verify_payload", lambda *_: None)


def downloaded(unit: Unit) -> str:
    """Where the bundle from URL is downloaded to, inspected and installed from."""
    return str(unit.config.state_dir / "update/download/bundle.raucb")


@pytest.fixture
def post_json() -> Iterator[None]:
    body = b"{}"
    bottle.request.bind(
        {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    yield
    bottle.request.bind({})


def test_install_with_reboot_writes_through_rauc_and_reboots_through_systemd(
    tmp_path: Path,
    served: None,
) -> None:
    unit = Unit(tmp_path)
    job = Job("install", URL)
    unit.update.jobs.registry.run(
        job,
        functools.partial(
            unit.update.installer.run, request=InstallRequest(URL, reboot=True, force=True)
        ),
    )
    assert (job.state, job.message) == (
        "succeeded",
        "firmware 1.1.0 installed to slot B; it boots next; rebooting",
    )
    assert unit.rauc.installs == [downloaded(unit)] and unit.systemd.calls == [("reboot", "")]
    assert unit.state.read()["pending"]["slot"] == "B"
    assert any("Copying" in line for line in job.log)  # RAUC's progress reached the job


def test_install_without_reboot_leaves_systemd_alone(tmp_path: Path, served: None) -> None:
    unit = Unit(tmp_path)
    job = Job("install", URL)
    unit.update.jobs.registry.run(
        job, functools.partial(unit.update.installer.run, request=InstallRequest(URL))
    )
    assert job.state == "succeeded" and unit.systemd.calls == []


def test_a_reboot_systemd_cannot_do_is_logged_and_the_job_still_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, served: None
) -> None:
    unit = Unit(tmp_path)
    unit.systemd.unavailable = "cannot reach the system bus at unix:path=/x: gone"
    job = Job("install", URL)
    with caplog.at_level(logging.ERROR):
        unit.update.jobs.registry.run(
            job,
            functools.partial(
                unit.update.installer.run, request=InstallRequest(URL, reboot=True, force=True)
            ),
        )
    assert not job.running and unit.rauc.installs == [downloaded(unit)]
    assert "cannot reboot: cannot reach the system bus at unix:path=/x: gone" in caplog.messages


def test_an_install_rauc_cannot_do_fails_the_job_with_rauc_s_message(
    tmp_path: Path, served: None
) -> None:
    unit = Unit(tmp_path)
    unit.rauc.unavailable = "cannot reach the system bus at unix:path=/x: gone"
    job = Job("install", URL)
    unit.update.jobs.registry.run(
        job,
        functools.partial(
            unit.update.installer.run, request=InstallRequest(URL, reboot=True, force=True)
        ),
    )
    assert (job.state, job.message) == (
        "refused",
        "bundle refused: cannot reach the system bus at unix:path=/x: gone",
    )
    assert unit.systemd.calls == []


def test_rollback_marks_the_other_slot_active_through_rauc(tmp_path: Path, post_json: None) -> None:
    unit = Unit(tmp_path)
    unit.update.start()  # records both slots as holding the running firmware
    answer = unit.update.rollback()
    assert answer["slot"] == "B" and unit.rauc.marks == [("active", "other")]
    assert unit.state.read()["pending"]["kind"] == "rollback" and unit.systemd.calls == []


def test_rollback_without_rauc_answers_503_in_one_line(tmp_path: Path, post_json: None) -> None:
    unit = Unit(tmp_path)
    unit.update.start()
    unit.rauc.unavailable = "cannot reach the system bus at unix:path=/x: gone"
    with pytest.raises(ApiError) as caught:
        unit.update.rollback()
    assert caught.value.status == 503
    assert caught.value.message == (
        "RAUC does not answer: cannot reach the system bus at unix:path=/x: gone"
    )


def test_a_first_boot_that_stays_unhealthy_is_marked_bad_and_rebooted_through_systemd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commit_module, "CHECK_INTERVAL_SECONDS", 0.01)
    unit = Unit(tmp_path, healthy=False)
    unit.state.update(
        pending={"slot": "A", "version": "1.0.0", "from_slot": "B", "boot_id": "before"}
    )
    unit.commit._run()
    assert unit.rauc.marks == [("bad", "booted")] and unit.systemd.calls == [("reboot", "")]
    assert "Asterisk is not answering" in unit.state.read()["last_rollback"]["reason"]


def test_install_jobs_go_to_the_agents_registry(tmp_path: Path) -> None:
    from orpheus.jobs.model import Busy, Job
    from orpheus.jobs.registry import JobRegistry

    registry = JobRegistry()
    release = tmp_path / "release.json"
    release.write_text('{"version": "1.0.0"}')
    update, _ = update_features(
        AgentConfig(data_dir=tmp_path), "A", lambda: (True, "ok"), _NoCalls(),  # type: ignore[arg-type]
        read_release(release), None,  # type: ignore[arg-type]
        systemd=FakeSystemd(), rauc=FakeRauc(), jobs=registry,
    )  # fmt: skip
    job = update.jobs.claim(Job("install", "b.raucb"))
    assert registry.jobs() == [job]
    with pytest.raises(Busy, match=r"^an update job is already running"):
        registry.claim(Job("install", "c.raucb"))


def test_a_url_that_cannot_be_sent_is_refused_not_a_server_error(tmp_path: Path) -> None:
    """Found by the fuzz test: a lone surrogate in a URL made urllib raise UnicodeEncodeError."""
    from orpheus.update.installer import check_url
    from orpheus.update.policy import Refused
    from testbed.update_api import build
    from tests.unit.api.wsgi_client import call

    api = build(tmp_path, "an-admin-pass")
    body = json.dumps({"url": "https://oj\udb30\udeba~", "reboot": True}).encode()
    answer = call(api.app, "POST", "/api/v1/update", body, auth=("admin", "an-admin-pass"))
    assert answer.status == 400 and "'url'" in answer.json()["error"]
    with pytest.raises(Refused, match="not a usable URL"):
        check_url("https://oj\udb30\udeba~")


def test_slot_status_answers_while_the_bootloader_names_no_primary() -> None:
    """Between a fallback boot and its commit RAUC's GetPrimary fails: GET /api/v1/update
    answered 503 "RAUC does not answer" then (seen in the update walk); now no slot is primary."""
    rauc = FakeRauc(no_primary="grub backend: No bootable slot found in ORDER 'A B'")
    slots, primary = rauc_status(rauc)
    assert primary == "" and slots == FakeRauc().slot_status()
