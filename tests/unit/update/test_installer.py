"""The installer's steps: RAUC retries, the reboot when idle (orpheus.update.installer)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from orpheus.dbus import rauc
from orpheus.dbus.fakes import FakeRauc
from orpheus.jobs.model import Refusal
from orpheus.update import entitlement, installer
from orpheus.update.jobs import Job
from orpheus.update.policy import Firmware, Refused
from orpheus.update.schema import ConfigStore
from orpheus.update.state import UpdateState
from tests.unit.update.http_server import Answer, remote_loopback, serving


def test_a_bundle_rauc_could_not_mount_is_tried_again_and_other_errors_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RAUC itself is not run here (no slots on the host); the update walk runs it for real."""
    fake = FakeRauc(
        install_failures=[
            "Failed mounting bundle: Failed to load dm table: Argument list too long"
        ],
        progress=[],
    )
    calls = fake.installs
    monkeypatch.setattr(installer, "MOUNT_RETRY_SECONDS", 0.0)
    deps = SimpleNamespace(rauc=fake)
    unit = installer.Installer(deps)  # type: ignore[arg-type]  # only RAUC is used by this step
    job = Job("install", "http://example.invalid/b.raucb")
    unit._rauc_install(job, job.source)
    assert len(calls) == 2 and "trying again" in job.log[-1]
    fake.install_failures.append("Slot rootfs.1 is not writable")
    with pytest.raises(rauc.RaucError, match="not writable"):
        unit._rauc_install(job, job.source)
    assert len(calls) == 3


def _reboot_when_idle(
    monkeypatch: pytest.MonkeyPatch, calls: int, **request: Any
) -> tuple[str, list[int], Job]:
    """The wait of `install --reboot` with `calls` calls that never end. Asterisk's count
    is replaced here; the update walk holds a real call in the guest's Asterisk."""
    monkeypatch.setattr(installer, "IDLE_POLL_SECONDS", 0.01)
    reboots: list[int] = []
    deps = SimpleNamespace(active_calls=lambda: calls, reboot=lambda: reboots.append(1))
    unit = installer.Installer(deps)  # type: ignore[arg-type]  # only the two used here
    job = Job("install", "bundle")
    answer = unit._reboot_when_idle(job, installer.InstallRequest("b", True, **request), "done")
    return answer, reboots, job


def test_install_reboot_gives_up_when_calls_outlast_the_wait_and_force_does_not_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer, reboots, job = _reboot_when_idle(monkeypatch, 2, idle_timeout=0.05)
    assert reboots == [] and "NOT rebooted: 2 call(s) still active after 0 s" in answer
    assert "--force" in answer and "waiting for 2 active call(s)" in job.message
    answer, reboots, _ = _reboot_when_idle(monkeypatch, 2, force=True, idle_timeout=60)
    assert reboots == [1] and answer == "done; rebooting"


V2 = b"signed bundle, firmware 1.1.0" * 100
V1 = b"signed bundle, firmware 0.9.0" * 100
BUNDLES = {
    V2: rauc.BundleInfo("orpheus", "1.1.0", "2026-01-01T00:00:00Z", {}, {}),
    V1: rauc.BundleInfo("orpheus", "0.9.0", "2025-01-01T00:00:00Z", {}, {}),
}


class UrlUnit:
    """An installer with RAUC faked: the fake reads what it is given (and fetches a URL
    itself, as RAUC streams one) and tells the two signed bundles apart by their bytes."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rauc = FakeRauc(by_content=dict(BUNDLES))
        self.state = UpdateState(tmp_path / "state/update/state.json")
        self.download_dir = tmp_path / "state/update/download"
        self.deps = installer.InstallDeps(
            state=self.state,
            config=ConfigStore(tmp_path / "etc", tmp_path / "state"),
            running=Firmware("1.0.0", "2026-01-01T00:00:00Z", "1.0.0", "orpheus"),
            booted_slot="A",
            data_dir=tmp_path,
            support_until=lambda: date(2099, 1, 1),
            active_calls=lambda: 0,
            reboot=lambda: None,
            boot_id=lambda: "boot-1",
            rauc=self.rauc,
            download_dir=self.download_dir,
        )
        self.verified: list[bytes] = []
        # `rauc info` (the verity check of a file) needs RAUC; the update walk runs it.
        monkeypatch.setattr(
            installer.Installer,
            "_verify_payload",
            lambda _self, _job, bundle: self.verified.append(bundle.read_bytes()),
        )
        remote_loopback(monkeypatch)

    def install(self, url: str) -> tuple[Job, str | BaseException]:
        job = Job("install", url)
        request = installer.InstallRequest(url)
        try:
            installer.check_source(request, self.deps.data_dir)
            return job, installer.Installer(self.deps).run(job, request)
        except Exception as error:  # noqa: BLE001 - the test looks at what ended the job
            return job, error


def test_an_install_from_a_url_installs_the_bundle_it_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server answers the first download with v2 and every later one with an older signed
    v1 (below the running firmware's minimum): the one download is inspected and installed."""
    unit = UrlUnit(tmp_path, monkeypatch)
    with serving() as server:
        server.answers["/b.raucb"] = [Answer(200, V2), Answer(200, V1)]
        _job, result = unit.install(server.url("/b.raucb"))
        assert server.gets("/b.raucb") == 1
    assert result == "firmware 1.1.0 installed to slot B; it boots next (reboot when convenient)"
    assert unit.rauc.installed_content == [V2] and unit.verified == [V2]
    assert unit.rauc.installs == [str(unit.download_dir / "bundle.raucb")]
    assert unit.state.read()["slots"]["B"]["version"] == "1.1.0"
    assert list(unit.download_dir.iterdir()) == []  # the download is not kept


def test_the_slots_are_looked_at_again_once_rauc_has_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before a reboot that waits for calls, status must show the new primary slot."""
    unit = UrlUnit(tmp_path, monkeypatch)
    seen: list[list[str]] = []
    unit.deps.slots_changed = lambda: seen.append(list(unit.rauc.installs))
    with serving() as server:
        server.answers["/b.raucb"] = [Answer(200, V2)]
        _job, result = unit.install(server.url("/b.raucb"))
    assert isinstance(result, str), result
    assert seen == [[str(unit.download_dir / "bundle.raucb")]]  # after the write, once


def test_a_url_whose_bundle_fails_the_checks_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = UrlUnit(tmp_path, monkeypatch)
    before = unit.state.read()
    with serving() as server:
        server.answers["/b.raucb"] = [Answer(200, V1), Answer(200, V2)]
        _job, result = unit.install(server.url("/b.raucb"))
    assert isinstance(result, Refused)
    assert str(result) == (
        "downgrade refused: firmware 1.0.0 cannot go back below 1.0.0, the bundle is 0.9.0"
    )
    assert unit.rauc.installs == []
    assert list(unit.download_dir.iterdir()) == []
    after = unit.state.read()
    assert after.pop("last_install")["result"] == "refused"
    before.pop("last_install", None)
    assert after == before


def test_a_url_that_redirects_to_the_unit_itself_is_refused_before_any_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = UrlUnit(tmp_path, monkeypatch)
    with serving() as server:
        inside = server.url("/b.raucb", host="127.0.0.2")
        server.answers["/b.raucb"] = [Answer(307, location=inside)]
        _job, result = unit.install(server.url("/b.raucb"))
        assert server.gets("/b.raucb") == 0
    assert isinstance(result, Refused)
    assert str(result) == f"URL refused: redirected to {inside}: 127.0.0.2, the unit itself"
    assert unit.rauc.installs == [] and not unit.download_dir.exists()


def test_an_unreadable_update_support_date_refuses_the_install_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut right after the date file was rewritten leaves it empty (ext4 writes the
    data later than the truncation): the install is refused, saying so, and writes nothing."""
    unit = UrlUnit(tmp_path, monkeypatch)
    support_file = tmp_path / "update-support-until"
    support_file.write_text("")
    unit.deps = dataclasses.replace(
        unit.deps, support_until=lambda: entitlement.read_support_until(support_file)
    )
    with serving() as server:
        server.answers["/b.raucb"] = [Answer(200, V2)]
        _job, result = unit.install(server.url("/b.raucb"))
    assert isinstance(result, Refusal)
    assert str(result) == f"{support_file}: not an ISO date: ''"
    assert unit.rauc.installs == []
    assert unit.state.read()["last_install"]["result"] == "refused"
