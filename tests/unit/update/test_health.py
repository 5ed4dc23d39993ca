"""The checks a freshly booted slot must pass (orpheus.update.health), on files in tmp_path."""

from __future__ import annotations

from pathlib import Path

from orpheus.update import health

# /proc/net/udp as the kernel writes it: a header, then local_address as ADDR:PORT in hex.
HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"


def _proc_net(tmp_path: Path, **tables: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        (tmp_path / name).write_text(HEADER + rows)
    return tmp_path


def test_sip_is_found_on_any_of_the_four_tables(tmp_path: Path) -> None:
    row = "   1: 00000000:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000   0\n"
    for table in ("udp", "udp6", "tcp", "tcp6"):
        proc_net = _proc_net(tmp_path / table, **{table: row})
        assert health.sip_listening(proc_net) == (True, "ok")


def test_other_ports_and_remote_ports_do_not_count(tmp_path: Path) -> None:
    rows = (
        "   1: 00000000:13C5 00000000:0000 07 00000000:00000000 00:00000000 00000000   0\n"
        "   2: 0100007F:0035 0A000001:13C4 01 00000000:00000000 00:00000000 00000000   0\n"
        "   3:\n"
    )
    proc_net = _proc_net(tmp_path, udp=rows)
    assert health.sip_listening(proc_net) == (False, "nothing listens for SIP on port 5060")
    assert health.sip_listening(proc_net, port=0x13C5) == (True, "ok")
    assert health.sip_listening(tmp_path / "missing")[0] is False


def test_config_present_and_the_break_marker(tmp_path: Path) -> None:
    config = tmp_path / "asterisk.conf"
    assert health.config_present(config) == (False, f"configuration missing: {config}")
    config.write_text("")
    assert health.config_present(config) == (True, "ok")
    marker = tmp_path / "test-break-health"
    assert health.not_broken(marker) == (True, "ok")
    marker.write_text("")
    assert health.not_broken(marker) == (False, "test build: health check broken on purpose")


def test_a_directory_that_is_not_a_mount_point_is_not_the_data_partition(tmp_path: Path) -> None:
    assert health.data_writable(tmp_path) == (False, f"{tmp_path} is not mounted")


def test_all_of_stops_at_the_first_failure() -> None:
    ran: list[str] = []

    def check(name: str, ok: bool) -> health.Check:
        def run() -> tuple[bool, str]:
            ran.append(name)
            return ok, "ok" if ok else f"{name} failed"

        return run

    combined = health.all_of([check("a", True), check("b", False), check("c", False)])
    assert combined() == (False, "b failed") and ran == ["a", "b"]
    assert health.all_of([check("d", True)])() == (True, "ok")
    assert health.all_of([])() == (True, "ok")
