"""Recorded calls and a USB drive on the booted image: the guest's Asterisk records a call into
RAM, the agent encrypts it onto internal and moves it to the plugged-in drive (the recording
settings' `storage: usb`, the drive the default target); the file on the drive, read on the
host from the pulled drive's image, decrypts with Debian's `age` and the officer's exported
identity to exactly the audio played; downloaded through the API from the drive, the same.
Pulled mid-recording, the drive gets nothing and loses nothing: the recording waits on
internal (an alarm says so) and moves by itself once the drive is back. Pulled mid-move (the
drive slowed by a QEMU throttle group so that the move is still running), the job says what
happened, no partial file is left, and every recording is there exactly once.

The Mini's tier does not record calls (its licence refuses `enabled`), so the call is recorded
by the test's own dialplan with the MixMonitor line the rendered one uses on a Lite (the
rendered dialplan's recording is tested on the host, tests/recordings). USB hardware is the
one emulated part: QEMU's usb-storage on xHCI.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orpheus.recordings.names import mixmonitor
from testbed.audio import RATE, pcm, played_samples, wav_bytes
from testbed.vm import Vm, ssh_command
from tests.qemu.test_boot import PASSWORD, on_guest
from tests.qemu.test_usb import make_drive, target, wait_for

OFFICER_PASSWORD = "the officer's own phrase"
PLAYED_SECONDS = 12
HANG_UP_CUT = RATE  # at most this much of the end may be cut (the hang-up races the frames)
PLAYED = "/data/orpheus-test/played"  # .sln: Asterisk's raw 16-bit 8 kHz
CONTEXT = "orpheus-test-rec"
NODE = "stick-rec"
# Reads from the drive while the move is to be pulled: 16 KiB/s, so the move of two 12 s
# recordings (about 200 kB each) takes some 25 s.
SLOW_READ_BPS = 16 * 1024


def put_on_guest(vm: Vm, key: Path, path: str, data: bytes) -> None:
    command = ssh_command(vm, key, "sh", "-c", f"mkdir -p -m 755 \"$(dirname '{path}')\" && "
                          f"cat > '{path}' && chmod 644 '{path}'")  # fmt: skip
    subprocess.run(command, input=data, check=True, capture_output=True, timeout=120)


def bytes_from_guest(vm: Vm, key: Path, path: str) -> bytes:
    command = ssh_command(vm, key, "cat", path)
    return subprocess.run(command, check=True, capture_output=True, timeout=120).stdout


def asterisk(vm: Vm, key: Path, command: str) -> str:
    return on_guest(vm, key, "asterisk", "-rx", command)


def plug_throttled(vm: Vm, node: str, image: Path) -> None:
    """The drive behind a throttle group (no limits until slow_reads), on the xHCI bus."""
    group = f"tg-{node}"
    answer = vm.qmp("object-add", {"qom-type": "throttle-group", "id": group, "limits": {}})
    assert "error" not in answer, answer
    raw = {"driver": "raw", "file": {"driver": "file", "filename": str(image)}}
    answer = vm.qmp(
        "blockdev-add",
        {"node-name": node, "driver": "throttle", "throttle-group": group, "file": raw},
    )
    assert "error" not in answer, answer
    device = {"driver": "usb-storage", "id": node, "drive": node, "bus": "xhci.0"}
    answer = vm.qmp("device_add", device)
    assert "error" not in answer, answer


def slow_reads(vm: Vm, node: str, bps: int) -> None:
    limits = {"bps-read": bps} if bps else {}
    answer = vm.qmp("qom-set", {"path": f"/objects/tg-{node}", "property": "limits",
                                "value": limits})  # fmt: skip
    assert "error" not in answer, answer


def pull_throttled(vm: Vm, node: str) -> None:
    assert "error" not in vm.qmp("device_del", {"id": node})
    for _ in range(30):  # the device goes first, then its drive may be deleted
        if "error" not in vm.qmp("blockdev-del", {"node-name": node}):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"the drive {node} stayed attached")
    assert "error" not in vm.qmp("object-del", {"id": f"tg-{node}"})


def recordings(vm: Vm) -> list[dict[str, Any]]:
    code, answer = vm.api("GET", "/api/v1/recordings", PASSWORD)
    assert code == 200, answer
    return list(answer["recordings"])


def wait_until(what: str, check: Any, timeout: float = 180.0, interval: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(interval)


def record_call(vm: Vm, key: Path) -> None:
    """A call whose second leg is answered by the test's dialplan and recorded by MixMonitor
    (bridged: the `b` option); the first leg plays PLAYED into it and hangs up at its end."""
    asterisk(vm, key, "channel originate Local/rec@orpheus-test-rec/n application Playback "
             f"{PLAYED}")  # fmt: skip


def new_recording(vm: Vm, known: set[str], timeout: float = 180.0) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        fresh = [r for r in recordings(vm) if r["id"] not in known]
        return fresh[0] if fresh else None

    recording: dict[str, Any] = wait_until("a new recording in the list", found, timeout)
    return recording


def on_target(vm: Vm, recording_id: str, name: str, timeout: float = 180.0) -> dict[str, Any]:
    def there() -> dict[str, Any] | None:
        return next((r for r in recordings(vm) if r["id"] == recording_id
                     and r.get("target") == name and not r.get("moving_to")), None)  # fmt: skip

    found: dict[str, Any] = wait_until(f"{recording_id} on {name}", there, timeout)
    return found


def assert_is_what_was_played(audio: bytes, played: list[int]) -> None:
    recorded = pcm(audio)
    assert len(played) - HANG_UP_CUT <= len(recorded) <= len(played), len(recorded)
    assert recorded == played[: len(recorded)]


def dump_from_drive(image: Path, inside: str, out: Path) -> bytes:
    """A file of the pulled drive (ext4), read on the host: what any reader of the drive gets."""
    subprocess.run(["debugfs", "-R", f"dump {inside} {out}", str(image)], check=True,
                   capture_output=True)  # fmt: skip
    return out.read_bytes()


@pytest.fixture(scope="module")
def setup(
    vm: Vm, ssh_key: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("usb-rec")
    image = directory / "rec.img"
    name = f"usb-{make_drive(image, 'ext4', 'ORPHREC')}"
    played = played_samples(PLAYED_SECONDS)
    put_on_guest(vm, ssh_key, f"{PLAYED}.sln", wav_bytes(played))
    steps = (
        f"rec,1,{mixmonitor('internal', '101')}",
        f"rec,2,Dial(Local/answer@{CONTEXT}/n,30)",
        "rec,3,Hangup()",
        "answer,1,Answer()",
        "answer,2,Wait(120)",
    )
    for step in steps:
        asterisk(vm, ssh_key, f"dialplan add extension {step} into {CONTEXT} replace")
    code, state = vm.api("GET", "/api/v1/privacy", PASSWORD)
    assert code == 200 and not state["password_set"], state
    code, state = vm.api("PUT", "/api/v1/privacy", PASSWORD, {"password": OFFICER_PASSWORD})
    assert code == 200 and state["password_set"], state
    code, answer = vm.api("PUT", "/api/v1/pbx/recording/recording", PASSWORD, {"storage": "usb"})
    assert code == 200, answer
    plug_throttled(vm, NODE, image)
    wait_for(vm, name, present=True)
    code, answer = vm.api("PUT", "/api/v1/storage/default", PASSWORD, {"target": name})
    assert code == 200, answer
    yield {"image": image, "name": name, "played": played, "directory": directory}
    if target(vm, name) is not None:
        pull_throttled(vm, NODE)
    vm.api("PUT", "/api/v1/pbx/recording/recording", PASSWORD, {"storage": "internal"})


def test_a_recorded_call_moves_to_the_drive_and_decrypts_with_age_there(
    vm: Vm, ssh_key: Path, setup: dict[str, Any]
) -> None:
    name, played = setup["name"], setup["played"]
    known = {r["id"] for r in recordings(vm)}
    record_call(vm, ssh_key)
    recording = new_recording(vm, known)
    moved = on_target(vm, recording["id"], name)
    assert moved["direction"] == "internal" and moved["called"] == "101", moved
    assert moved["duration_seconds"] >= PLAYED_SECONDS - 1, moved
    # Gone from internal, and nothing plain anywhere on the unit's disks.
    names = ("-name", f"{recording['id']}*", "-o", "-name", "*.sln", "-o", "-name", "*.wav")
    leftovers = on_guest(vm, ssh_key, "find", "/data", "/run/orpheus/storage", *names)
    assert [p for p in leftovers.split() if not p.startswith(PLAYED)] == [
        f"/run/orpheus/storage/{name}/orpheus-recordings/{recording['id']}.age",
        f"/run/orpheus/storage/{name}/orpheus-recordings/{recording['id']}.json",
    ], leftovers

    # Downloaded through the API from the drive, with the password.
    out = "/root/downloaded.wav"
    on_guest(vm, ssh_key, "sh", "-c", f"printf '%s\\n' \"{OFFICER_PASSWORD}\" | orpheusctl "
             f"recordings download {recording['id']} -o {out} --stdin")  # fmt: skip
    downloaded = bytes_from_guest(vm, ssh_key, out)
    on_guest(vm, ssh_key, "rm", "-f", out)
    assert downloaded[:4] == b"RIFF"
    assert_is_what_was_played(downloaded[44:], played)

    # The drive itself, pulled and read on the host: age and the exported identity.
    code, exported = vm.api("POST", "/api/v1/privacy/identity", PASSWORD,
                            {"password": OFFICER_PASSWORD})  # fmt: skip
    assert code == 200, exported
    identity = setup["directory"] / "identity.txt"
    identity.write_text(exported["identity"])
    setup["identity"] = identity
    pull_throttled(vm, NODE)
    assert wait_for(vm, name, present=False) is None
    sealed = dump_from_drive(setup["image"], f"orpheus-recordings/{recording['id']}.age",
                             setup["directory"] / "sealed.age")  # fmt: skip
    assert b"age-encryption.org/v1" in sealed[:40]
    decrypted = subprocess.run(["age", "-d", "-i", str(identity)], input=sealed,
                               capture_output=True, check=True).stdout  # fmt: skip
    assert decrypted == downloaded[44:]
    wrong = subprocess.run(["age", "-d", "-i", "/dev/null"], input=sealed, capture_output=True,
                           check=False)  # fmt: skip
    assert wrong.returncode != 0 and not wrong.stdout


def test_a_drive_pulled_mid_recording_gets_the_recording_once_it_is_back(
    vm: Vm, ssh_key: Path, setup: dict[str, Any]
) -> None:
    name = setup["name"]
    plug_throttled(vm, NODE, setup["image"])
    wait_for(vm, name, present=True)
    known = {r["id"] for r in recordings(vm)}
    record_call(vm, ssh_key)
    time.sleep(PLAYED_SECONDS / 3)
    pull_throttled(vm, NODE)
    recording = new_recording(vm, known)
    waiting = on_target(vm, recording["id"], "internal")
    assert waiting["duration_seconds"] >= PLAYED_SECONDS - 1, waiting

    def alarmed() -> list[str]:
        code, status = vm.api("GET", "/api/v1/status", PASSWORD)
        assert code == 200, status
        return [a for a in status["alarms"] if "wait on internal" in a and name in a]

    assert wait_until("the pending recording's alarm", alarmed, timeout=60)
    code, listing = vm.api("GET", "/api/v1/storage", PASSWORD)
    assert code == 200, listing
    assert listing["placement"]["pending"] == 1 and name in listing["placement"]["waiting"]
    plug_throttled(vm, NODE, setup["image"])
    on_target(vm, recording["id"], name)
    assert not alarmed()


def test_a_drive_pulled_mid_move_ends_the_job_and_leaves_every_recording_once(
    vm: Vm, ssh_key: Path, setup: dict[str, Any]
) -> None:
    name = setup["name"]
    wait_for(vm, name, present=True)  # plugged back by the test before
    on_drive = sorted(r["id"] for r in recordings(vm) if r.get("target") == name)
    assert len(on_drive) >= 2, on_drive
    # Remounted, so the page cache holds none of it: reads go to the slowed drive.
    code, answer = vm.api("POST", f"/api/v1/storage/{name}/check", PASSWORD)
    assert code == 200 and answer["state"] == "mounted", answer
    slow_reads(vm, NODE, SLOW_READ_BPS)
    code, job = vm.api(
        "POST", "/api/v1/recordings/move", PASSWORD, {"from": name, "to": "internal"}
    )
    assert code == 202, job
    time.sleep(3)
    code, running = vm.api("GET", f"/api/v1/jobs/{job['id']}", PASSWORD)
    assert running["state"] == "running", running
    pull_throttled(vm, NODE)

    def ended() -> dict[str, Any] | None:
        code, found = vm.api("GET", f"/api/v1/jobs/{job['id']}", PASSWORD)
        assert code == 200, found
        return found if found["state"] != "running" else None

    finished = wait_until("the move's end", ended, timeout=120)
    assert finished["state"] == "failed", finished
    assert f"{name} went away" in finished["message"], finished
    partial = on_guest(vm, ssh_key, "find", "/data", "-name", "*.part")
    assert not partial.strip(), partial

    plug_throttled(vm, NODE, setup["image"])
    wait_for(vm, name, present=True)
    listed = [r["id"] for r in recordings(vm)]
    assert len(listed) == len(set(listed)), listed  # none twice
    assert set(on_drive) <= set(listed), (on_drive, listed)  # none lost
    leftovers = on_guest(vm, ssh_key, "find", f"/run/orpheus/storage/{name}", "-name", "*.part")
    assert not leftovers.strip(), leftovers
