"""The agent's D-Bus wrappers against stand-ins of systemd and RAUC on a private bus daemon
(dbus-daemon from the host; skipped without it): the messages, the job and install signals
and the services' error replies, as the unit's real services answer them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus.capture import tcpdump
from orpheus.capture.filters import CaptureFilter
from orpheus.capture.limits import Ring
from orpheus.capture.runners import SystemdRunner, unit_name
from orpheus.dbus.rauc import DbusRauc, RaucError
from orpheus.dbus.systemd import DbusSystemd, SystemdError
from orpheus.storage.devices import usb_volume
from orpheus.storage.mounts import SystemdMounts
from tests.dbus.services import FAILING_UNIT, HANGING_UNIT, Services, private_bus

# dbus-daemon is a host tool `make test` installs (builder/hosttools.py): missing, this fails.


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with private_bus(tmp_path) as running:
        yield running


def test_unit_calls_wait_for_their_job_and_use_replace_mode(services: Services) -> None:
    systemd = DbusSystemd()
    systemd.reload_or_restart_unit("snmpd.service")
    systemd.start_unit("a.service")
    systemd.stop_unit("a.service")
    systemd.restart_unit("a.service")
    assert services.manager.subscribed
    assert services.manager.calls == [
        ("ReloadOrRestartUnit", "snmpd.service", "replace"),
        ("StartUnit", "a.service", "replace"),
        ("StopUnit", "a.service", "replace"),
        ("RestartUnit", "a.service", "replace"),
    ]


def test_a_job_that_fails_is_one_line_naming_the_unit(services: Services) -> None:
    with pytest.raises(SystemdError) as caught:
        DbusSystemd().reload_or_restart_unit(FAILING_UNIT)
    assert str(caught.value) == (
        f"cannot reload {FAILING_UNIT}: the job ended 'failed' (see journalctl -u {FAILING_UNIT})"
    )


def test_reboot_starts_the_reboot_target_irreversibly(services: Services) -> None:
    DbusSystemd().reboot()
    assert services.manager.calls == [("StartUnit", "reboot.target", "replace-irreversibly")]


def test_a_job_whose_end_never_comes_times_out(services: Services) -> None:
    with pytest.raises(SystemdError) as caught:
        DbusSystemd(job_timeout=0.5).start_unit(HANGING_UNIT)
    assert str(caught.value) == f"cannot start {HANGING_UNIT}: no answer from systemd within 0.5 s"


def test_a_usb_drive_is_mounted_by_a_transient_unit_whose_job_is_awaited(
    services: Services,
) -> None:
    volume = usb_volume({"DEVNAME": "/dev/sdb1", "ID_BUS": "usb", "ID_FS_USAGE": "filesystem",
                         "ID_FS_TYPE": "vfat", "ID_FS_UUID": "5E1C-8A2F"})  # fmt: skip
    assert volume is not None
    where = Path("/run/orpheus/storage/usb-5e1c-8a2f")
    SystemdMounts(DbusSystemd()).mount(volume, where)
    unit = "run-orpheus-storage-usb\\x2d5e1c\\x2d8a2f.mount"
    assert services.manager.calls == [("StartTransientUnit", unit, "fail")]
    properties = services.manager.transient[unit]
    assert properties["What"] == "/dev/disk/by-uuid/5E1C-8A2F"  # as udev names the link
    assert properties["Options"].startswith("nodev,nosuid,noexec,noatime,")
    assert properties["LazyUnmount"] is True and properties["Type"] == "vfat"


def test_rauc_status_marks_and_inspection(services: Services) -> None:
    rauc = DbusRauc()
    slots = rauc.slot_status()
    assert slots["rootfs.1"] == {"bootname": "B", "boot-status": "bad"}
    assert rauc.primary() == "rootfs.0"
    assert rauc.mark("active", "other") == "marked slot rootfs.0 as active"
    assert services.installer.marks == [("active", "other")]
    info = rauc.inspect("/data/tmp/b.raucb")
    assert (info.compatible, info.version, info.meta) == (
        "orpheus-x86_64",
        "1.1.0",
        {"min-version": "1.0.0"},
    )


def test_rauc_s_refusal_keeps_its_own_message(services: Services) -> None:
    with pytest.raises(RaucError) as caught:
        DbusRauc().inspect("/data/tmp/unsigned.raucb")
    assert str(caught.value) == "signature verification failed: unable to get local issuer"


def test_install_follows_progress_to_completed(services: Services) -> None:
    progress: list[tuple[int, str]] = []
    DbusRauc().install("/data/tmp/b.raucb", lambda percent, text: progress.append((percent, text)))
    assert progress == [(10, "Checking bundle"), (60, "Copying image"), (100, "Done")]
    with pytest.raises(RaucError, match=r"^Slot rootfs\.1 is not writable$"):
        DbusRauc().install("/data/tmp/bad.raucb", lambda percent, text: None)


def test_a_capture_runs_as_a_transient_unit_whose_state_is_read(
    services: Services, tmp_path: Path
) -> None:
    directory = tmp_path / "0123456789ab"
    argv = tcpdump.argv("/usr/bin/tcpdump", directory, Ring.for_size(10), CaptureFilter("sip"))
    running = SystemdRunner(DbusSystemd()).start("0123456789ab", argv, directory, 60)
    unit = unit_name("0123456789ab")
    assert services.manager.calls == [("StartTransientUnit", unit, "fail")]
    properties = services.manager.transient[unit]
    assert properties["ExecStart"] == [["/usr/bin/tcpdump", argv, False]]
    assert properties["RuntimeMaxUSec"] == 65_000_000
    assert properties["ReadWritePaths"] == [str(directory)]
    assert running.result() is None  # active
    running.stop()
    assert running.result() == ""  # inactive: ended well
