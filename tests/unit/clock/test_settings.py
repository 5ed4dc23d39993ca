"""clock/settings.py: zones and NTP servers checked, hostile input refused, files written."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.clock.settings import (
    TimeInvalid,
    TimeSettings,
    TimeStore,
    from_dict,
    ntp_server,
    render,
    zone_file,
    zones,
)

TZIF = b"TZif2" + b"\0" * 40


@pytest.fixture
def zoneinfo(tmp_path: Path) -> Path:
    """A small zoneinfo tree: real zones, a link like Debian's old names, and files that
    are in zoneinfo but are not zones."""
    root = tmp_path / "zoneinfo"
    for name in ("UTC", "Europe/Rome", "America/Argentina/Buenos_Aires", "Etc/GMT+1",
                 "posix/Europe/Rome"):  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(TZIF)
    (root / "Europe/Vatican").symlink_to("Rome")
    (root / "zone.tab").write_text("IT\t+4154+01229\tEurope/Rome\n")
    (root / "tzdata.zi").write_text("# version 2025b\n")
    (root / "Etc/notazone").write_text("plain text\n")
    outside = tmp_path / "secret"
    outside.write_bytes(TZIF)
    (root / "Europe/Escape").symlink_to(outside)
    return root


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Rome", "America/Argentina/Buenos_Aires", "Etc/GMT+1", "Europe/Vatican"]
)
def test_an_existing_zone_is_taken(zoneinfo: Path, name: str) -> None:
    assert zone_file(name, zoneinfo) == zoneinfo / name


@pytest.mark.parametrize(
    "name",
    [
        "../secret", "Europe/../../secret", "/etc/passwd", "Europe/Rome\n", "Europe/Rome ",
        "Europe//Rome", "zone.tab", "tzdata.zi", "Etc/notazone", "Europe", "Mars/Olympus",
        "posix/Europe/Rome", "Europe/Escape", "", "a/b/c/d", "Europe/Rome#x", 7, None,
    ],
)  # fmt: skip
def test_anything_but_a_plain_zone_file_is_refused(zoneinfo: Path, name: object) -> None:
    with pytest.raises(TimeInvalid):
        zone_file(name, zoneinfo)


def test_the_zone_list_holds_zones_only(zoneinfo: Path) -> None:
    assert zones(zoneinfo) == (
        "America/Argentina/Buenos_Aires", "Etc/GMT+1", "Europe/Rome", "Europe/Vatican", "UTC",
    )  # fmt: skip
    assert zones(zoneinfo / "missing") == ()


def test_the_running_systems_zones_are_listed() -> None:
    listed = zones(Path("/usr/share/zoneinfo"))
    assert "Europe/Rome" in listed and "UTC" in listed
    assert not any(name.startswith(("posix/", "right/")) for name in listed)


@pytest.mark.parametrize(
    ("value", "taken"),
    [("pool.ntp.org", "pool.ntp.org"), ("NTP1.Example.COM", "ntp1.example.com"),
     ("ntp.example.org.", "ntp.example.org."), ("192.0.2.123", "192.0.2.123"),
     ("2001:DB8::1", "2001:db8::1"), ("time-a", "time-a")],
)  # fmt: skip
def test_host_names_and_addresses_are_servers(value: str, taken: str) -> None:
    assert ntp_server(value) == taken


@pytest.mark.parametrize(
    "value",
    [
        "pool.ntp.org\nNTP=evil", "a b", "a#b", "ntp.example.org;", "", "-bad.example",
        "bad-.example", "a..b", "x" * 64 + ".example", "224.0.0.1", "0.0.0.0", "::",
        "[2001:db8::1]", "fe80::1%eth0", "1.2.3.4.5", "999.1.1.1", "a" * 254,
        "ntp.example.org\r", "ntp/example",
    ],
)  # fmt: skip
def test_hostile_or_unusable_servers_are_refused(value: str) -> None:
    with pytest.raises(TimeInvalid):
        ntp_server(value)


def test_settings_are_checked_as_a_whole(zoneinfo: Path) -> None:
    taken = from_dict({"timezone": "Europe/Rome", "ntp_servers": ["a.example", "192.0.2.1"]},
                      zoneinfo)  # fmt: skip
    assert taken == TimeSettings("Europe/Rome", ("a.example", "192.0.2.1"))
    assert from_dict({}, zoneinfo) == TimeSettings("UTC", ())
    with pytest.raises(TimeInvalid, match="twice"):
        from_dict({"ntp_servers": ["a.example", "A.example"]}, zoneinfo)
    with pytest.raises(TimeInvalid, match="at most 8"):
        from_dict({"ntp_servers": [f"n{i}.example" for i in range(9)]}, zoneinfo)


def test_the_timesyncd_file() -> None:
    assert render(TimeSettings("UTC", ("a.example", "2001:db8::1"))).splitlines()[1:] == [
        "[Time]", "NTP=a.example 2001:db8::1",
    ]  # fmt: skip
    # no server of its own: no NTP= line, so timesyncd asks none (the image empties FallbackNTP)
    assert "NTP=" not in render(TimeSettings())


def test_the_store_links_the_zone_and_writes_timesyncds_file(
    zoneinfo: Path, tmp_path: Path
) -> None:
    store = TimeStore(tmp_path / "state/time.json", tmp_path / "etc", zoneinfo)
    (tmp_path / "state").mkdir()
    assert store.load() == TimeSettings()
    store.ensure_written()
    assert store.localtime.readlink() == zoneinfo / "UTC"
    assert store.timesyncd_file.read_text() == render(TimeSettings())
    settings = TimeSettings("Europe/Rome", ("ntp.example",))
    store.save(settings)
    assert store.localtime.readlink() == zoneinfo / "Europe/Rome"
    assert store.localtime.read_bytes() == TZIF
    assert "NTP=ntp.example" in store.timesyncd_file.read_text()
    assert store.timesyncd_file.stat().st_mode & 0o777 == 0o644
    assert store.load() == settings
    assert not list(store.localtime.parent.glob(".localtime*"))


def test_a_damaged_or_removed_zone_falls_back_to_utc(zoneinfo: Path, tmp_path: Path) -> None:
    store = TimeStore(tmp_path / "time.json", tmp_path / "etc", zoneinfo)
    store.state_file.write_text('{"timezone": "Mars/Olympus", "ntp_servers": []}')
    assert store.load() == TimeSettings()
    store.state_file.write_text("{not json")
    assert store.load() == TimeSettings()
    store.ensure_written()
    assert store.localtime.readlink() == zoneinfo / "UTC"
