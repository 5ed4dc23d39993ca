"""The D-Bus wrappers without a bus: a missing system bus is one clear error of the
wrapper's own type, RAUC's answers are read into plain values, and the fakes keep to the
same protocols (mypy checks the assignments below). tests/dbus/ runs the real wrappers
against stand-in services on a private bus."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbus_next.signature import Variant

from orpheus.dbus import bus
from orpheus.dbus.fakes import FakeRauc, FakeSystemd
from orpheus.dbus.rauc import DbusRauc, Rauc, RaucError, bundle_info
from orpheus.dbus.systemd import DbusSystemd, Systemd, SystemdError


@pytest.fixture
def no_system_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    socket = tmp_path / "no-bus-here"
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={socket}")
    return socket


def test_systemd_without_a_system_bus_is_one_line_naming_the_unit(no_system_bus: Path) -> None:
    with pytest.raises(SystemdError) as caught:
        DbusSystemd().reload_or_restart_unit("snmpd.service")
    message = str(caught.value)
    assert message == (
        "cannot reload snmpd.service: cannot reach the system bus at "
        f"unix:path={no_system_bus}: No such file or directory"
    )
    with pytest.raises(SystemdError, match=r"^cannot reboot: cannot reach the system bus"):
        DbusSystemd().reboot()
    with pytest.raises(SystemdError, match=r"^cannot start a\.service: "):
        DbusSystemd().start_unit("a.service")


def test_rauc_without_a_system_bus_is_one_line(no_system_bus: Path) -> None:
    with pytest.raises(
        RaucError, match=r"^cannot reach the system bus at unix:path=.*no-bus-here: "
    ):
        DbusRauc().slot_status()
    with pytest.raises(
        RaucError, match=r"^cannot reach the system bus at unix:path=.*no-bus-here: "
    ):
        DbusRauc().install("/data/b.raucb", lambda percent, text: None)


def test_an_unusable_bus_address_is_a_wrapper_error_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "nonsense")
    with pytest.raises(SystemdError, match="cannot reach the system bus"):
        DbusSystemd().stop_unit("x.service")


def test_the_wrappers_errors_share_one_base() -> None:
    assert issubclass(RaucError, bus.BusError) and issubclass(SystemdError, bus.BusError)


def test_inspect_bundles_answer_is_unwrapped_into_the_fields_the_policy_reads() -> None:
    answer = {
        "update": Variant(
            "a{sv}",
            {
                "compatible": Variant("s", "orpheus-x86_64"),
                "version": Variant("s", "1.1.0"),
                "build": Variant("s", "20260101"),
            },
        ),
        "meta": Variant(
            "a{sv}", {"orpheus": Variant("a{sv}", {"min-version": Variant("s", "1.0.0")})}
        ),
        "images": Variant("av", [Variant("s", "rootfs")]),
    }
    info = bundle_info(bus.unwrap(answer))
    assert (info.compatible, info.version, info.build) == ("orpheus-x86_64", "1.1.0", "20260101")
    assert info.meta == {"min-version": "1.0.0"} and info.raw["images"] == ["rootfs"]
    assert bundle_info({}).compatible == ""


def test_the_fakes_record_and_fail_like_the_wrappers() -> None:
    systemd: Systemd = FakeSystemd()
    systemd.reload_or_restart_unit("snmpd.service")
    systemd.reboot()
    assert isinstance(systemd, FakeSystemd)
    assert systemd.calls == [("reload", "snmpd.service"), ("reboot", "")]
    systemd.unavailable = "no bus"
    with pytest.raises(SystemdError, match=r"^cannot restart a\.service: no bus$"):
        systemd.restart_unit("a.service")

    progress: list[tuple[int, str]] = []
    rauc: Rauc = FakeRauc(install_failures=["Slot rootfs.1 is not writable"])
    with pytest.raises(RaucError, match="not writable"):
        rauc.install("b.raucb", lambda percent, text: progress.append((percent, text)))
    rauc.install("b.raucb", lambda percent, text: progress.append((percent, text)))
    assert progress == [(50, "Copying"), (100, "Done")]
    assert rauc.mark("good") == "marked slot booted as good"
    assert isinstance(rauc, FakeRauc) and rauc.marks == [("good", "booted")]
