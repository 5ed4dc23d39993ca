"""The installer's steps: RAUC retries, the reboot when idle (orpheus.update.installer)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from orpheus.dbus import rauc
from orpheus.dbus.fakes import FakeRauc
from orpheus.update import installer
from orpheus.update.jobs import Job


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
