"""Updates on the v1 image in QEMU, real RAUC and GRUB, one guest walked in file order:

v1 runs from slot A -> v2 from an HTTP URL (a second install meanwhile is refused; the
bundles carry no block-hash index, so installs are plain copies under TCG) ->
reboot: v2 runs from slot B, committed, configuration kept and migrated to v2's schema 2 ->
made the Slave of an HA pair, manual rollback to v1 (the copy of schema 1 is back, a change
made under v2 is reported lost), then unpaired -> forward again to v2 -> a broken v2 (health
check fails on purpose) from a file: installed to slot A, marked bad by the agent after its
commit deadline, back on slot B by itself, and `update status` says why; the agent then
restores slot A as a copy of the running v2 -> (the fault part: a v2 whose init dies at once,
abandoned by GRUB's attempt counter alone, and slot A restored again) -> a rollback to the
restored copy boots it (slot A, v2) -> a server that stalls half-way: the install fails
after 60 s, the API answers throughout -> every bad input refused with one line and nothing
changed -> (the fault part: the power cut at three points of an install, each followed by
the fallback's restore, then once in the first boot of the new slot).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from testbed import bundles
from testbed.bundle_server import BundleServer
from testbed.guest import GRUBENV, Guest
from testbed.vm import StallWatch

pytestmark = pytest.mark.qemu

CONFIG_MARK = "/data/etc/asterisk/orpheus-update-test.conf"
CONFIG_MARK_V2 = "/data/etc/asterisk/orpheus-update-test-v2.conf"
SUPPORT_FILE = "/data/orpheus/update-support-until"
AGENT_SETTINGS = "/data/orpheus/agent.toml"
# Short enough for the test, long enough for a healthy unit under TCG to pass its checks.
COMMIT_DEADLINE_SECONDS = 60
BREAK_REASON = "test build: health check broken on purpose"
# install --reboot with a call up: the longest wait for it to end (the test hangs it up), and
# how long the test watches the reboot being held (the agent counts calls every 5 s).
CALL_WAIT_SECONDS = 600
# The stalled download: the agent's 60 s bound, the download before it, and room to spare.
JOB_WAIT_SECONDS = 600
IDLE_POLLS_SECONDS = 12

FIGURES: dict[str, float] = {}


def record_figure(name: str, value: float) -> None:
    FIGURES[name] = value
    out = bundles.TEST_BUILD / "figures.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")


def slots_of(status: dict[str, object]) -> dict[str, dict[str, object]]:
    return {slot["bootname"]: slot for slot in status["slots"]}  # type: ignore[attr-defined, index]


def refused(guest: Guest, source: str, expected: str) -> str:
    """orpheusctl refuses with one line naming the cause, and changes nothing."""
    before = guest.untouched_state()
    result = guest.run("orpheusctl", "update", "install", source, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, result.stdout
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert guest.untouched_state() == before
    return lines[0]


def put(guest: Guest, server: BundleServer, bundle: Path) -> str:
    """Copies a bundle to /data/tmp on the guest over HTTP; returns its path there."""
    (server.directory / bundle.name).write_bytes(bundle.read_bytes())
    target = f"/data/tmp/{bundle.name}"
    guest.run("mkdir", "-p", "/data/tmp")
    fetch = "import sys, urllib.request; urllib.request.urlretrieve(*sys.argv[1:])"
    guest.run("python3", "-c", fetch, server.guest_url(bundle.name), target)
    return target


def test_v1_runs_from_slot_a_and_slot_b_holds_a_copy(update_guest: Guest) -> None:
    status = update_guest.wait_committed()
    slots = slots_of(status)
    assert slots["A"]["booted"] and slots["A"]["primary"]
    assert slots["A"]["version"] == slots["B"]["version"] == bundles.V1
    assert slots["B"]["boot_status"] == "good"
    update_guest.run("sh", "-c", f"echo 'written under v1' > {CONFIG_MARK}")


def test_installs_v2_from_an_http_url_and_refuses_a_second_install_meanwhile(
    update_guest: Guest, server: BundleServer, v2_bundle: Path
) -> None:
    url = server.guest_url(v2_bundle.name)
    server.bytes_sent = 0
    started = time.monotonic()
    code, job = update_guest.api("POST", "/api/v1/update", {"url": url})
    assert code == 202, job
    second = update_guest.run("orpheusctl", "update", "install", url, check=False)
    if second.returncode == 0 or "already running" not in second.stderr:
        journal = update_guest.run(
            "journalctl", "-b", "-u", "orpheus-agent", "-u", "rauc", "-n", "30", "--no-pager"
        ).stdout
        pytest.fail(
            f"a second install was not refused (rc {second.returncode}: "
            f"{second.stderr.strip() or second.stdout[-300:]}); the first job: "
            f"{update_guest.job()}; the unit's journal:\n{journal}"
        )
    latencies = []  # GET /api/v1/update while RAUC installs: from the agent's view
    while update_guest.job()["state"] == "running":
        asked = time.monotonic()
        update_guest.update_status()
        latencies.append(time.monotonic() - asked)
        time.sleep(2)
    elapsed = time.monotonic() - started
    latencies.sort()
    record_figure("install_api_p99_seconds", round(latencies[len(latencies) * 99 // 100], 2))
    record_figure("install_api_max_seconds", round(latencies[-1], 2))
    status = update_guest.update_status()
    update_guest.note(f"v2 install from a URL finished after {elapsed:.0f} s")
    job_state = status["job"]
    assert job_state["id"] == job["id"] and job_state["state"] == "succeeded", job_state  # type: ignore[index]
    slots = slots_of(status)
    assert slots["B"]["primary"] and slots["B"]["version"] == bundles.V2
    assert slots["A"]["booted"] and slots["A"]["version"] == bundles.V1
    assert "ORDER=B A" in update_guest.out("grub-editenv", GRUBENV, "list")
    # The unit downloads the bundle once and installs the file it checked (issue 12, point
    # 5: trixie's RAUC 1.13 cannot bind a streamed install to the inspected manifest).
    record_figure("url_bundle_bytes", v2_bundle.stat().st_size)
    record_figure("url_install_seconds", round(elapsed, 1))
    record_figure("url_download_share", round(server.bytes_sent / v2_bundle.stat().st_size, 3))


def assert_asterisk_read_the_checked_configuration(guest: Guest) -> None:
    """Asterisk started only once the configuration check (migrate or restore) had ended."""

    def monotonic(prop: str, unit: str) -> int:
        return int(guest.out("systemctl", "show", "--property", prop, "--value", unit))

    check_end = monotonic("ExecMainExitTimestampMonotonic", "orpheus-config-check.service")
    asterisk_start = monotonic("ExecMainStartTimestampMonotonic", "asterisk.service")
    assert 0 < check_end <= asterisk_start, (check_end, asterisk_start)


def test_v2_boots_from_slot_b_is_committed_and_keeps_the_configuration(
    update_guest: Guest,
) -> None:
    started = time.monotonic()
    update_guest.reboot()
    record_figure("reboot_to_healthy_seconds", round(time.monotonic() - started, 1))
    status = update_guest.wait_committed()
    assert status["booted"] == "B" and status["running_version"] == bundles.V2
    assert "rauc.slot=B" in update_guest.out("cat", "/proc/cmdline")
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"
    assert status["last_commit"]["version"] == bundles.V2  # type: ignore[index]
    config = status["config"]
    assert config["action"] == "migrated" and config["schema"] == 2, config  # type: ignore[index]
    assert "copy of schema 1 kept" in config["message"], config  # type: ignore[index]
    assert_asterisk_read_the_checked_configuration(update_guest)
    update_guest.run("sh", "-c", f"echo 'written under v2' > {CONFIG_MARK_V2}")


def test_a_slave_rolls_back_by_hand_to_v1_with_its_configuration_and_unpairs(
    update_guest: Guest,
) -> None:
    """The unit is the Slave of an HA pair, in FAULT until its Master syncs it: the pair's
    configuration is read-only here, but its own firmware is not (issue 12, point 6). It rolls
    back, boots v1 still paired, and leaves the pair there."""
    ha = update_guest.pair_as_unsynced_slave()
    assert ha["paired"] and "first configuration sync" in ha["may_be_master"], ha
    extension = {"number": "301", "password": "Slave-pass-301"}
    code, refusal = update_guest.api("POST", "/api/v1/pbx/extension", extension)
    assert code == 409 and "read-only" in refusal["error"], refusal
    update_guest.reboot("orpheusctl", "update", "rollback", "--reboot")
    status = update_guest.wait_committed()
    assert status["booted"] == "A" and status["running_version"] == bundles.V1
    assert status["last_rollback"]["kind"] == "manual"  # type: ignore[index]
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"
    # v1 knows schema 1 only: the copy taken when v2 was installed is back, and the change
    # made under v2 is reported lost (and kept aside), not silently dropped.
    config = status["config"]
    assert config["action"] == "restored" and config["schema"] == 1, config  # type: ignore[index]
    lost = CONFIG_MARK_V2.removeprefix("/data/etc/")
    assert lost in config["lost_changes"], config  # type: ignore[index, operator]
    assert update_guest.run("test", "-e", CONFIG_MARK_V2, check=False).returncode != 0
    assert_asterisk_read_the_checked_configuration(update_guest)
    # The restored files are Asterisk's own again: it reads its 0640 files as its own user.
    assert update_guest.out("stat", "-c", "%U", "/data/etc/asterisk/asterisk.conf") == "asterisk\n"
    dialplan = update_guest.asterisk("module show like pbx_config")
    assert " Running " in dialplan and "Not Running" not in dialplan, dialplan
    text = update_guest.out("orpheusctl", "update", "status")
    assert "manual" in text and bundles.V2 in text and "Lost changes" in text and lost in text
    code, ha = update_guest.api("GET", "/api/v1/ha")
    assert code == 200 and ha["paired"] and ha["role"] != "master", ha
    left = update_guest.out("orpheusctl", "ha", "unpair")
    assert f"Unpaired from {ha['peer']}" in left, left
    code, ha = update_guest.api("GET", "/api/v1/ha")
    assert code == 200 and not ha["paired"] and ha["role"] == "unpaired", ha
    assert update_guest.run("test", "-e", "/data/orpheus/ha/pair.json", check=False).returncode
    # keepalived stopped and reaped: not even a zombie of it is left.
    assert update_guest.run("pgrep", "-x", "keepalived", check=False).returncode == 1


def test_forward_again_to_v2(update_guest: Guest) -> None:
    answer = update_guest.out("orpheusctl", "update", "rollback")
    assert "slot B" in answer, answer
    update_guest.reboot()
    status = update_guest.wait_committed()
    assert status["booted"] == "B" and status["running_version"] == bundles.V2
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"


def test_a_broken_firmware_is_rolled_back_automatically(
    update_guest: Guest, builds: bundles.Builds
) -> None:
    update_guest.run(
        "sh", "-c", f"echo 'commit_deadline_seconds = {COMMIT_DEADLINE_SECONDS}' > {AGENT_SETTINGS}"
    )
    # A call is up: `install --reboot` installs, then waits for the PBX to be idle and says
    # so in the job's progress; hanging up the call lets it reboot into the new slot.
    update_guest.hold_call()
    assert update_guest.active_calls() == 1
    source = f"{update_guest.mount_bundles()}/{builds.broken_bundle.name}"
    boot = update_guest.boot_id()
    started = time.monotonic()
    body = {"path": source, "reboot": True, "idle_timeout": CALL_WAIT_SECONDS}
    code, job = update_guest.api("POST", "/api/v1/update", body)
    assert code == 202, job
    waiting = update_guest.wait_job(lambda j: "active call" in j.get("message", ""))
    record_figure("file_install_seconds", round(time.monotonic() - started, 1))
    update_guest.note(f"broken v2 installed in {time.monotonic() - started:.0f} s, waiting")
    assert waiting["message"] == "waiting for 1 active call(s) to end before rebooting", waiting
    installed = slots_of(update_guest.update_status())
    assert installed["A"]["primary"] and installed["A"]["version"] == bundles.BROKEN
    time.sleep(IDLE_POLLS_SECONDS)  # a few of the agent's polls: the call holds the reboot
    assert update_guest.job()["state"] == "running" and update_guest.boot_id() == boot
    path = update_guest.reboot_into("B", "asterisk", "-rx", "channel request hangup all")
    assert path == ["A", "B"], f"boots after the install: {path}"
    status = update_guest.wait_committed()
    # The short deadline was for the broken firmware only: the walk's later boots share the
    # machine with the rest of the suite and get the default one.
    update_guest.run("rm", "-f", AGENT_SETTINGS)
    assert status["booted"] == "B" and status["running_version"] == bundles.V2
    rollback = status["last_rollback"]
    assert rollback["kind"] == "automatic" and BREAK_REASON in rollback["reason"], rollback  # type: ignore[index]
    assert rollback["from_version"] == bundles.BROKEN and rollback["to_version"] == bundles.V2  # type: ignore[index]
    slots = slots_of(status)
    assert slots["A"]["boot_status"] == "bad" and slots["B"]["primary"]
    assert BREAK_REASON in update_guest.out("orpheusctl", "update", "status")
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"
    # No fallback until the agent has restored one: a rollback now is refused.
    result = update_guest.run("orpheusctl", "update", "rollback", check=False)
    assert result.returncode != 0, result.stdout
    assert "holds no good firmware" in result.stderr or "job is running" in result.stderr
    assert_fallback_restored(update_guest, "after_rollback")


def assert_fallback_restored(guest: Guest, case: str) -> None:
    """The agent restores the other slot by itself: a copy of the running firmware, good,
    the running slot first in the boot order; the API answered every poll meanwhile."""
    started = time.monotonic()
    status, latencies = guest.wait_fallback()
    record_figure(f"restore_{case}_seconds", round(time.monotonic() - started, 1))
    record_figure(f"restore_{case}_api_max_seconds", round(max(latencies), 2))
    slots = slots_of(status)
    booted = str(status["booted"])
    other = "B" if booted == "A" else "A"
    assert slots[other]["boot_status"] == "good" and slots[booted]["primary"], slots
    assert slots[other]["version"] == status["running_version"], slots
    fallback = cast(dict[str, Any], status["fallback"])
    assert fallback["state"] == "good" and fallback["slot"] == other, fallback
    per_gib = fallback["seconds"] / (fallback["bytes"] / 2**30)
    record_figure(f"restore_{case}_copy_seconds_per_gib", round(per_gib, 1))
    assert f"ORDER={booted} {other}" in guest.out("grub-editenv", GRUBENV, "list")
    text = guest.out("orpheusctl", "update", "status")
    assert f"slot {other} restored" in text, text


@pytest.mark.update_faults
def test_a_firmware_that_never_boots_is_abandoned_by_grub(
    update_guest: Guest, builds: bundles.Builds
) -> None:
    """Its PID 1 dies at once, so no agent ever runs on it: GRUB alone gives up after 3
    attempts (kernel panic, panic=10 reboot each time) and boots the previous firmware."""
    assert builds.never_boots_bundle is not None
    source = f"{update_guest.mount_bundles()}/{builds.never_boots_bundle.name}"
    update_guest.run("orpheusctl", "update", "install", source)
    update_guest.note("never-booting v2 installed")
    installed = slots_of(update_guest.update_status())
    assert installed["A"]["primary"] and installed["A"]["version"] == bundles.NEVER_BOOTS
    console_before = len(update_guest.vm.console_text())
    path = update_guest.reboot_into("B")
    assert path == ["B"], f"boots that answered after the install: {path}"
    console = update_guest.vm.console_text()[console_before:]
    assert "Kernel panic" in console, "slot A's init did not die as built"
    assert "Orpheus: slot A has used its 3 boot attempts" in console
    status = update_guest.wait_committed()
    assert status["booted"] == "B" and status["running_version"] == bundles.V2
    rollback = status["last_rollback"]
    assert rollback["kind"] == "bootloader", rollback  # type: ignore[index]
    assert rollback["from_version"] == bundles.NEVER_BOOTS, rollback  # type: ignore[index]
    slots = slots_of(status)
    assert slots["A"]["boot_status"] == "bad" and slots["B"]["primary"]
    assert "bootloader fell back" in update_guest.out("orpheusctl", "update", "status")
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"
    assert_fallback_restored(update_guest, "after_bootloader_fallback")


def test_a_rollback_to_a_restored_fallback_boots_the_copy(update_guest: Guest) -> None:
    """Once restored, the fallback is a rollback target again: the same version, and said."""
    assert_fallback_restored(update_guest, "before_rollback")  # (done: returns at once)
    answer = update_guest.out("orpheusctl", "update", "rollback")
    assert "slot A" in answer and "the same version as the running one" in answer, answer
    update_guest.reboot()
    status = update_guest.wait_committed()
    assert status["booted"] == "A" and status["running_version"] == bundles.V2, status
    assert slots_of(status)["B"]["boot_status"] == "good"
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"


def test_a_server_that_stops_sending_ends_the_install_and_the_api_keeps_answering(
    update_guest: Guest, server: BundleServer, v2_bundle: Path
) -> None:
    """Half the bundle, then nothing on an open connection: the install fails after the
    agent's bound (60 s without data) with one line; GET /api/v1/update, polled every
    second meanwhile, answers every time (its slots come from the agent's own view)."""
    server.stall("stalled.raucb", v2_bundle, v2_bundle.stat().st_size // 2)
    before = slots_of(update_guest.update_status())
    code, job = update_guest.api(
        "POST", "/api/v1/update", {"url": server.guest_url("stalled.raucb")}
    )
    assert code == 202, job
    latencies: list[float] = []
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    while True:
        started = time.monotonic()
        status = update_guest.update_status()
        latencies.append(time.monotonic() - started)
        if status["job"]["state"] != "running":  # type: ignore[index]
            break
        assert time.monotonic() < deadline, status
        time.sleep(1)
    latencies.sort()
    record_figure(
        "stalled_download_api_p99_seconds", round(latencies[len(latencies) * 99 // 100], 2)
    )
    record_figure("stalled_download_api_max_seconds", round(latencies[-1], 2))
    finished = status["job"]
    assert finished["state"] == "failed", finished  # type: ignore[index]
    assert finished["message"] == "no data from 10.0.2.2 for 60 s", finished  # type: ignore[index]
    assert status["last_install"]["result"] == "failed"  # type: ignore[index]
    after = slots_of(status)
    assert {k: v["boot_status"] for k, v in after.items()} == {"A": "good", "B": "good"}
    assert after["A"]["primary"] == before["A"]["primary"], after


def test_refuses_a_bundle_signed_by_another_key(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    keys = bundles.other_keys(tmp_path / "keys")
    bundle = bundles.small_bundle(tmp_path / "other-key.raucb", keys=keys)
    refused(update_guest, put(update_guest, server, bundle), "bundle refused")


def test_refuses_a_bundle_with_one_byte_changed(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    good = bundles.small_bundle(tmp_path / "good.raucb")
    bad = bundles.flip_byte(good, tmp_path / "one-byte.raucb", 40000)
    refused(update_guest, put(update_guest, server, bad), "corrupted")


def test_installs_only_the_bundle_it_checked_when_the_url_swaps_bundles(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    """The server answers the unit's first download with a bundle whose signature, version
    and dates pass but one of whose payload bytes is changed, and every later request with
    an older signed bundle (below v2's minimum version). The unit downloads once and checks
    and installs that one file: refused as corrupted, nothing written, nothing fetched again.
    (RAUC used to fetch the URL anew to install it: the older bundle, never checked.)"""
    good = bundles.small_bundle(tmp_path / "checked.raucb")
    checked = bundles.flip_byte(good, tmp_path / "checked-one-byte.raucb", 40000)
    older = bundles.small_bundle(tmp_path / "older.raucb", version="0.9.0")
    server.swap("swapped.raucb", checked, older)
    refused(update_guest, server.guest_url("swapped.raucb"), "corrupted")
    assert server.gets.get("swapped.raucb") == 1, server.gets


def test_refuses_a_truncated_bundle(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    good = bundles.small_bundle(tmp_path / "good.raucb")
    bad = bundles.truncate(good, tmp_path / "truncated.raucb", good.stat().st_size // 2)
    refused(update_guest, put(update_guest, server, bad), "bundle refused")


def test_refuses_a_bundle_for_another_compatible(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    bundle = bundles.small_bundle(tmp_path / "other.raucb", compatible="acme-arm64")
    refused(update_guest, put(update_guest, server, bundle), "'acme-arm64'")


def test_refuses_a_downgrade_below_the_running_firmwares_minimum(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    bundle = bundles.small_bundle(tmp_path / "old.raucb", version="0.9.0")
    line = refused(update_guest, put(update_guest, server, bundle), "downgrade refused")
    assert bundles.V2_MIN_VERSION in line and "0.9.0" in line


def test_refuses_a_bundle_that_needs_a_newer_firmware(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    bundle = bundles.small_bundle(tmp_path / "min.raucb", version="6.0.0", min_version="5.0.0")
    line = refused(update_guest, put(update_guest, server, bundle), "5.0.0")
    assert bundles.V2 in line


def test_refuses_a_bundle_built_after_update_support_ended(
    update_guest: Guest, server: BundleServer, tmp_path: Path
) -> None:
    """The date is taken away again, durably: the power cuts below come within seconds, and a
    file rewritten without a sync is empty after one (ext4 writes its data later)."""
    update_guest.run("sh", "-c", f"echo 2026-06-30 > {SUPPORT_FILE} && sync")
    try:
        bundle = bundles.small_bundle(tmp_path / "late.raucb", build_date="2026-09-01T00:00:00Z")
        line = refused(update_guest, put(update_guest, server, bundle), "2026-06-30")
        assert "2026-09-01" in line
    finally:
        update_guest.run("sh", "-c", f"rm -f {SUPPORT_FILE} && sync")


def test_refuses_a_url_that_does_not_answer(update_guest: Guest) -> None:
    refused(update_guest, "http://10.0.2.2:9/orpheus.raucb", "cannot download")


def test_refuses_a_url_that_points_at_the_unit_itself(update_guest: Guest) -> None:
    """Its loopback and its own address (the host's bundle server, 10.0.2.2, is not one)."""
    refused(update_guest, "http://127.0.0.1/api/v1/health", "127.0.0.1, the unit itself")
    links = json.loads(update_guest.out("ip", "-j", "-4", "address", "show", "scope", "global"))
    own = next(a["local"] for link in links for a in link.get("addr_info", []) if "local" in a)
    refused(update_guest, f"http://{own}/b.raucb", f"{own}, an address of the unit itself")


def test_refuses_to_install_with_the_data_partition_full(
    update_guest: Guest, server: BundleServer, v2_bundle: Path
) -> None:
    fill = "fallocate -l $(($(stat -f -c '%a*%S' /data) - 4096)) /data/fill"
    update_guest.run("sh", "-c", fill)
    try:
        refused(update_guest, server.guest_url(v2_bundle.name), "data partition full")
    finally:
        update_guest.run("rm", "-f", "/data/fill")


# Where an install loses its power, judged from the job's progress (read over HTTP, so the
# poll is quick): RAUC reports its copy of the image into the slot as 49% to 94% of the job,
# and switches the boot order only after it. Early: RAUC has the bundle, nothing is copied
# yet; mid-write: a third of the copy; end of write: 87% of the copy, the boot order not yet
# switched. (The slot device's own write counter lags RAUC by the page cache, which the
# kernel flushes in bursts: it went from a third to all written between two polls.)
COPY_FROM, COPY_TO = 49, 94
POWER_CUTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "early": lambda job: job.get("progress", 0) >= 10,
    "mid-write": lambda job: (
        copying(job) and job["progress"] >= COPY_FROM + (COPY_TO - COPY_FROM) // 3
    ),
    "end-of-write": lambda job: (
        copying(job) and job["progress"] >= COPY_FROM + (COPY_TO - COPY_FROM) * 87 // 100
    ),
}
POLL_SECONDS = 0.5
CUT_TIMEOUT_SECONDS = 900.0


def copying(job: dict[str, Any]) -> bool:
    message = str(job.get("message", ""))
    return message.startswith("Copying image") and not message.endswith("done.")


@pytest.mark.update_faults
@pytest.mark.parametrize("point", list(POWER_CUTS))
def test_a_power_cut_during_an_install_keeps_the_running_firmware(
    update_guest: Guest, builds: bundles.Builds, point: str
) -> None:
    """The plug is pulled while v2 is written to the other slot: the unit comes back on the
    running slot, healthy and committed, with its configuration; the half-written slot is
    never booted (RAUC makes it unbootable before writing), and the agent restores it (after
    the mid-write cut waited for; otherwise the restore gives way to the next install)."""
    booted = str(update_guest.update_status()["booted"])
    other = "B" if booted == "A" else "A"
    source = f"{update_guest.mount_bundles()}/{builds.v2_bundle.name}"
    code, job = update_guest.api("POST", "/api/v1/update", {"path": source})
    assert code == 202, job
    deadline = time.monotonic() + CUT_TIMEOUT_SECONDS
    while True:
        job = update_guest.job()
        assert job.get("state") == "running", f"the install ended before the {point} cut: {job}"
        if POWER_CUTS[point](job):
            break
        assert time.monotonic() < deadline, f"no {point} point within the timeout: {job}"
        time.sleep(POLL_SECONDS)
    update_guest.note(f"{point} cut at {job['progress']}%: {job['message']}")
    update_guest.power_cycle()
    record_figure(f"power_cut_{point}_job_progress", job["progress"])
    status = update_guest.wait_committed()
    assert status["booted"] == booted and status["running_version"] == bundles.V2, job
    slots = slots_of(status)
    assert slots[booted]["primary"], slots
    # Cut early, RAUC may not have touched the slot yet (it stays good); cut while copying,
    # the slot is bad until the agent restores it.
    assert point == "early" or slots[other]["boot_status"] == "bad", slots
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"
    if point == "mid-write":
        assert_fallback_restored(update_guest, "after_power_cut")
    # Otherwise a restore the agent starts gives way to the next install (the next cut's,
    # then the retried one), which writes the slot itself.


@pytest.mark.update_faults
def test_a_retried_install_succeeds_and_survives_a_power_cut_in_its_first_boot(
    update_guest: Guest, builds: bundles.Builds
) -> None:
    """After the cuts the same install goes through; the plug is pulled again once the new
    slot's kernel has started: GRUB counts that attempt, the next one comes up and commits."""
    update_guest.run("rm", "-f", AGENT_SETTINGS)  # the default commit deadline again
    booted = str(update_guest.update_status()["booted"])
    new = "B" if booted == "A" else "A"
    source = f"{update_guest.mount_bundles()}/{builds.v2_bundle.name}"
    update_guest.run("orpheusctl", "update", "install", source)
    update_guest.note("retried install finished")
    slots = slots_of(update_guest.update_status())
    assert slots[new]["primary"] and slots[new]["version"] == bundles.V2
    console_before = len(update_guest.vm.console_text())
    update_guest.start_reboot()
    deadline = time.monotonic() + CUT_TIMEOUT_SECONDS
    watch = StallWatch(update_guest.vm.console_log)
    while f"rauc.slot={new}" not in update_guest.vm.console_text()[console_before:]:
        assert time.monotonic() < deadline, f"slot {new}'s kernel never started after reboot"
        assert update_guest.vm.revive(), "QEMU exited during the reboot"
        update_guest.vm.reset_if_stalled(watch, answered=False)
        time.sleep(POLL_SECONDS)
    record_figure("power_cut_first_boot_to_healthy_seconds", round(update_guest.power_cycle(), 1))
    status = update_guest.wait_committed()
    assert status["booted"] == new and status["running_version"] == bundles.V2
    assert status["last_commit"]["slot"] == new, status  # type: ignore[index]
    tries = f"{new}_TRY=2"
    console = update_guest.vm.console_text()[console_before:]
    assert f"Orpheus: booting slot {new} (" in console and tries in console, console[-2000:]
    assert update_guest.out("cat", CONFIG_MARK) == "written under v1\n"
