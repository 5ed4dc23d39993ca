"""The image's wiring of the clock, read from rootfs_overlay/, builder/: the links from the
read-only root point where the agent's TimeStore writes, tmpfiles makes their defaults, and
systemd-timesyncd is installed and enabled."""

from __future__ import annotations

import tomllib
from pathlib import Path

from builder import rootfs
from orpheus.clock.settings import TimeStore
from orpheus.config import AgentConfig

SOURCE = Path(__file__).resolve().parents[3]
OVERLAY = SOURCE / "rootfs_overlay"


def _store() -> TimeStore:
    config = AgentConfig()
    return TimeStore(config.state_dir / "time.json", config.data_dir / "etc", config.zoneinfo_dir)


def test_timesyncd_reads_the_file_the_agent_writes() -> None:
    link = OVERLAY / "etc/systemd/timesyncd.conf.d/orpheus.conf"
    assert link.is_symlink() and link.readlink() == _store().timesyncd_file


def test_etc_localtime_is_the_link_the_agent_points() -> None:
    assert rootfs.DATA_SYMLINKS["etc/localtime"] == str(_store().localtime)


def test_tmpfiles_makes_utc_and_an_empty_drop_in_before_the_agent_starts() -> None:
    lines = [line.split() for line in (OVERLAY / "etc/tmpfiles.d/orpheus.conf").read_text()
             .splitlines() if line and not line.startswith("#")]  # fmt: skip
    store = _store()
    assert ["L", str(store.localtime), "-", "-", "-", "-", "/usr/share/zoneinfo/UTC"] in lines
    made = {line[1]: line[0] for line in lines}
    assert made[str(store.timesyncd_file.parent)] == "d"
    assert made[str(store.timesyncd_file)] == "f"


def test_timesyncd_and_the_zones_are_installed_and_enabled() -> None:
    config = tomllib.loads((SOURCE / "builder/rootfs.toml").read_text())
    assert {"systemd-timesyncd", "tzdata"} <= set(config["packages"])
    assert "systemd-timesyncd.service" in config["units"]["enable"]
    assert AgentConfig().time_apply_command[-1] == "systemd-timesyncd.service"


def test_timesyncd_waits_for_the_data_partition() -> None:
    drop_in = OVERLAY / "etc/systemd/system/systemd-timesyncd.service.d/orpheus.conf"
    lines = drop_in.read_text().splitlines()
    [needs] = [line for line in lines if line.startswith("RequiresMountsFor=")]
    assert str(_store().timesyncd_file.parent).startswith(needs.split("=", 1)[1])
