"""The update module's rules without a VM: versions, entitlement, verity check, config
schema, the job slot and the health-gated commit."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from orpheus.asterisk.parsers import parse_channel_counts
from orpheus.config import AgentConfig
from orpheus.dbus import rauc
from orpheus.dbus.fakes import FakeRauc
from orpheus.update import configcheck, installer, policy, verity
from orpheus.update.commit import CommitFeature
from orpheus.update.jobs import Busy, Job, JobSlot
from orpheus.update.policy import Firmware, Refused
from orpheus.update.schema import FIRMWARE_SCHEMA, MIGRATIONS, ConfigStore, firmware_schema
from orpheus.update.state import UpdateState
from orpheus.update.versions import older


def test_version_order() -> None:
    assert older("1.2.9", "1.2.10")
    assert older("1.3.0-rc.1", "1.3.0")
    assert not older("1.3.0+gabc", "1.3.0")
    with pytest.raises(ValueError):
        older("banana", "1.0")


def test_bundle_needing_a_newer_running_firmware_is_refused() -> None:
    running = Firmware("1.0.0", "2026-01-01T00:00:00Z", "0.0.0")
    with pytest.raises(Refused, match=r"only be installed over 1.1.0.*runs 1.0.0"):
        policy.check_versions(Firmware("2.0.0", "x", "1.1.0"), running)


def test_downgrade_below_the_running_firmwares_minimum_is_refused() -> None:
    running = Firmware("2.0.0", "2026-01-01T00:00:00Z", "1.5.0")
    with pytest.raises(Refused, match=r"cannot go back below 1.5.0, the bundle is 1.4.0"):
        policy.check_versions(Firmware("1.4.0", "x", "0.0.0"), running)
    policy.check_versions(Firmware("1.5.0", "x", "0.0.0"), running)


def test_entitlement_names_both_dates() -> None:
    late = Firmware("1.1.0", "2027-04-01T00:00:00Z", "0.0.0")
    with pytest.raises(Refused, match=r"ended on 2027-03-31.*built on 2027-04-01"):
        policy.check_entitlement(late, date(2027, 3, 31))
    policy.check_entitlement(late, date(2027, 4, 1))
    policy.check_entitlement(late, None)


def test_compatible() -> None:
    with pytest.raises(Refused, match="'other'"):
        policy.check_compatible("other", "orpheus-x86_64")


def test_active_calls_parsing() -> None:
    text = "0 active channels\n3 active calls\n12 calls processed"
    assert parse_channel_counts(text).active_calls == 3


def _verity_file(tmp_path: Path, payload: bytes, salt: bytes) -> tuple[Path, str, int]:
    tree = b"\0" * 4096  # the stored tree is not read: the root is recomputed from the payload
    signature = b"S" * 100
    path = tmp_path / "b.raucb"
    path.write_bytes(payload + tree + signature + len(signature).to_bytes(8, "big"))
    leaves = [
        hashlib.sha256(salt + payload[i : i + 4096]).digest() for i in range(0, len(payload), 4096)
    ]
    block = b"".join(leaves).ljust(4096, b"\0")
    return path, hashlib.sha256(salt + block).hexdigest(), len(tree)


def test_verity_check_accepts_the_signed_payload_and_refuses_a_changed_byte(tmp_path: Path) -> None:
    salt = os.urandom(32)
    payload = os.urandom(4096 * 5)
    path, root, tree = _verity_file(tmp_path, payload, salt)
    verity.check(path, root, salt.hex(), tree)
    data = bytearray(path.read_bytes())
    data[5000] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(verity.BundleCorrupt, match="corrupted"):
        verity.check(path, root, salt.hex(), tree)
    path.write_bytes(bytes(data[:6000]))
    with pytest.raises(verity.BundleCorrupt, match="truncated"):
        verity.check(path, root, salt.hex(), tree)


def test_config_migrates_forward_and_a_rollback_restores_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "etc"
    config.mkdir()
    (config / "a.conf").write_text("v1 setting\n")
    store = ConfigStore(config, tmp_path / "state")
    assert store.reconcile(1).action == "initialised"
    monkeypatch.setitem(MIGRATIONS, 1, lambda d: (d / "a.conf").write_text("v2 setting\n"))
    assert store.reconcile(2).action == "migrated"
    assert (config / "a.conf").read_text() == "v2 setting\n"
    (config / "b.conf").write_text("made under v2\n")
    result = store.reconcile(1)
    assert result.action == "restored"
    assert (config / "a.conf").read_text() == "v1 setting\n"
    assert result.lost_changes == ["a.conf", "b.conf"]
    assert not (config / "b.conf").exists()


def test_the_copy_and_its_restore_keep_owners_and_modes(tmp_path: Path) -> None:
    """Asterisk (its own user) reads files of mode 0640: after a rollback's restore they
    must still be its own, or it runs half-configured. (The suite runs as root.)"""
    config = tmp_path / "etc"
    (config / "asterisk").mkdir(parents=True)
    conf = config / "asterisk/asterisk.conf"
    conf.write_text("[directories]\n")
    conf.chmod(0o640)
    for path in (config / "asterisk", conf):
        os.chown(path, 101, 103)
    store = ConfigStore(config, tmp_path / "state")
    store.reconcile(1)
    store.reconcile(2)  # keeps the copy of schema 1
    conf.write_text("changed under 2\n")
    assert store.reconcile(1).action == "restored"
    for path in (config / "asterisk", conf, store.snapshot_path(1) / "asterisk/asterisk.conf"):
        info = path.stat()
        assert (info.st_uid, info.st_gid) == (101, 103), path
    assert conf.stat().st_mode & 0o777 == 0o640 and conf.read_text() == "[directories]\n"


def test_the_boot_check_writes_its_result_where_update_status_reads_it(tmp_path: Path) -> None:
    config = AgentConfig(data_dir=tmp_path)
    (tmp_path / "etc").mkdir()
    result = configcheck.check(config)
    assert result.action == "initialised"
    assert UpdateState(config.state_dir / "update/state.json").read()["config"]["action"] == (
        "initialised"
    )
    settings = tmp_path / "agent.toml"
    settings.write_text(f'data_dir = "{tmp_path}"\nno_such_setting = 1\n')
    assert configcheck.main(["--config", str(settings)]) == 1  # one line, files untouched
    settings.write_text(f'data_dir = "{tmp_path}"\n')
    assert configcheck.main(["--config", str(settings)]) == 0


def test_a_test_build_declares_its_schema_and_the_store_uses_it(tmp_path: Path) -> None:
    marker = tmp_path / "test-config-schema"
    assert firmware_schema(marker) == FIRMWARE_SCHEMA  # a production build has no marker
    marker.write_text("not a number\n")
    assert firmware_schema(marker) == FIRMWARE_SCHEMA
    marker.write_text("2\n")
    store = ConfigStore(tmp_path / "etc", tmp_path / "state", firmware_schema(marker))
    assert store.reconcile().schema == 2 and store.data_schema() == 2


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


def test_a_second_job_is_refused_while_one_runs() -> None:
    slot = JobSlot()
    first = slot.claim(Job("install", "a"))
    with pytest.raises(Busy, match="already running"):
        slot.claim(Job("install", "b"))
    first.finish("succeeded", "done")
    slot.claim(Job("install", "b"))


def _commit(
    tmp_path: Path, healthy: bool, boot_id: str
) -> tuple[CommitFeature, list[tuple[str, str]], list[int]]:
    state = UpdateState(tmp_path / "state.json")
    state.update(
        pending={
            "slot": "B",
            "version": "2",
            "from_slot": "A",
            "from_version": "1",
            "boot_id": "old",
        }
    )
    marks: list[tuple[str, str]] = []
    reboots: list[int] = []
    feature = CommitFeature(
        lambda: (healthy, "ok" if healthy else "Asterisk is not answering"),
        lambda state_, slot: marks.append((state_, slot)) or "done",
        0.05,
        state=state,
        booted_slot="B",
        boot_id=lambda: boot_id,
        reboot=lambda: reboots.append(1),
    )
    return feature, marks, reboots


def test_an_unhealthy_new_slot_is_marked_bad_and_the_unit_reboots(tmp_path: Path) -> None:
    feature, marks, reboots = _commit(tmp_path, healthy=False, boot_id="new")
    feature._run()
    assert marks == [("bad", "booted")] and reboots == [1]
    rollback = UpdateState(tmp_path / "state.json").read()["last_rollback"]
    assert rollback["kind"] == "automatic" and "Asterisk is not answering" in rollback["reason"]


def test_a_healthy_new_slot_is_committed(tmp_path: Path) -> None:
    feature, marks, reboots = _commit(tmp_path, healthy=True, boot_id="new")
    feature._run()
    assert marks == [("good", "booted")] and reboots == []
    assert UpdateState(tmp_path / "state.json").read()["pending"] is None


def test_no_rollback_before_the_reboot_into_the_new_slot(tmp_path: Path) -> None:
    feature, marks, reboots = _commit(tmp_path, healthy=False, boot_id="old")
    feature._run()
    assert marks == [] and reboots == []
