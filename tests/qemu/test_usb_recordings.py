"""Recorded calls and a USB drive on the booted image: the guest's Asterisk records a call into
RAM, the agent encrypts it onto internal and moves it to the plugged-in drive (the recording
settings' `storage: usb`, the drive the default target); the file on the drive, read on the
host from the pulled drive's image, decrypts with Debian's `age` and the officer's exported
identity to exactly the audio played; downloaded through the API from the drive, the same.
Pulled mid-recording, the drive gets nothing and loses nothing: the recording waits on
internal (an alarm says so) and moves by itself once the drive is back. Pulled mid-move (the
drive slowed by a QEMU throttle group so that the move is still running), the job says what
happened, no partial file is left, and every recording is there exactly once.

USB hardware is the one emulated part: QEMU's usb-storage on xHCI.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.vm import Vm
from tests.qemu.recorded_calls import (
    PLAYED,
    PLAYED_SECONDS,
    WAV_HEADER_BYTES,
    Recorder,
    assert_is_what_was_played,
    asterisk,
    cdr_records,
    decrypt_with_age,
    download,
    new_recording,
    on_target,
    record_call,
    record_figure,
    recordings,
    set_default,
    set_recording_storage,
    wait_until,
)
from tests.qemu.test_boot import PASSWORD, on_guest
from tests.qemu.test_usb import make_drive, wait_for

NODE = "stick-rec"
# Reads from the drive while the move is to be pulled: 16 KiB/s, so the move of two 12 s
# recordings (about 200 kB each) takes some 25 s.
SLOW_READ_BPS = 16 * 1024


class ThrottledDrive:
    """A drive image behind a QEMU throttle group (no limits until slow_reads), on the xHCI
    bus; it knows whether it is plugged in, so that a test that failed half-way leaves the
    next one a drive it can plug."""

    def __init__(self, vm: Vm, node: str, image: Path) -> None:
        self.vm, self.node, self.image = vm, node, image
        self.group = f"tg-{node}"
        self.plugged = False

    def plug(self) -> None:
        if self.plugged:  # left in by a test that failed before its pull
            self.pull()
        answer = self.vm.qmp(
            "object-add", {"qom-type": "throttle-group", "id": self.group, "limits": {}}
        )
        assert "error" not in answer, answer
        raw = {"driver": "raw", "file": {"driver": "file", "filename": str(self.image)}}
        node = {"node-name": self.node, "driver": "throttle", "throttle-group": self.group,
                "file": raw}  # fmt: skip
        answer = self.vm.qmp("blockdev-add", node)
        assert "error" not in answer, answer
        device = {"driver": "usb-storage", "id": self.node, "drive": self.node, "bus": "xhci.0"}
        answer = self.vm.qmp("device_add", device)
        assert "error" not in answer, answer
        self.plugged = True

    def slow_reads(self, bps: int) -> None:
        limits = {"bps-read": bps} if bps else {}
        answer = self.vm.qmp("qom-set", {"path": f"/objects/{self.group}",
                                         "property": "limits", "value": limits})  # fmt: skip
        assert "error" not in answer, answer

    def pull(self) -> None:
        assert "error" not in self.vm.qmp("device_del", {"id": self.node})
        for _ in range(30):  # the device goes first, then its drive may be deleted
            if "error" not in self.vm.qmp("blockdev-del", {"node-name": self.node}):
                break
            time.sleep(1)
        else:
            raise AssertionError(f"the drive {self.node} stayed attached")
        assert "error" not in self.vm.qmp("object-del", {"id": self.group})
        self.plugged = False


def dump_from_drive(image: Path, inside: str, out: Path) -> bytes:
    """A file of the pulled drive (ext4), read on the host: what any reader of the drive gets.
    The drive was pulled, not ejected: what was fsynced may be in its journal alone, which a
    mount replays and debugfs does not, so a copy of the image has its journal replayed first."""
    copy = out.with_suffix(".img")
    shutil.copyfile(image, copy)
    replay = subprocess.run(["e2fsck", "-y", "-E", "journal_only", str(copy)],
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert replay.returncode in (0, 1), replay.stdout + replay.stderr  # 1: journal replayed
    dumped = subprocess.run(["debugfs", "-R", f"dump {inside} {out}", str(copy)],
                            capture_output=True, text=True, check=True)  # fmt: skip
    copy.unlink()
    assert out.is_file(), dumped.stderr  # debugfs says "File not found" and exits 0
    return out.read_bytes()


@pytest.fixture(scope="module")
def drive(
    vm: Vm, recorder: Recorder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """An ext4 drive plugged in, the default target, with the recording settings at usb."""
    directory = tmp_path_factory.mktemp("usb-rec")
    image = directory / "rec.img"
    name = f"usb-{make_drive(image, 'ext4', 'ORPHREC')}"
    set_recording_storage(vm, "usb")
    stick = ThrottledDrive(vm, NODE, image)
    plugged = time.monotonic()
    stick.plug()
    wait_for(vm, name, present=True)
    record_figure("usb_plug_to_listed_mounted_seconds", time.monotonic() - plugged)
    set_default(vm, name)
    yield {"image": image, "name": name, "directory": directory, "stick": stick}
    set_recording_storage(vm, "internal")
    if stick.plugged:
        stick.pull()
    set_default(vm, "internal")


def test_a_recorded_call_moves_to_the_drive_and_decrypts_with_age_there(
    vm: Vm, ssh_key: Path, recorder: Recorder, drive: dict[str, Any]
) -> None:
    name = drive["name"]
    known = record_call(vm, ssh_key)
    called = time.monotonic()
    recording = new_recording(vm, known, timeout=PLAYED_SECONDS + 120)
    # (the call lasts PLAYED_SECONDS: what is past it is the hang-up to the list)
    record_figure("usb_recording_listed_after_call_seconds", time.monotonic() - called)
    moved = on_target(vm, recording["id"], name)
    record_figure("usb_recording_on_drive_after_call_seconds", time.monotonic() - called)
    assert moved["direction"] == "internal" and moved["called"] == "101", moved
    assert moved["duration_seconds"] >= PLAYED_SECONDS - 1, moved
    # Gone from internal, and nothing plain anywhere on the unit's disks.
    names = ("-name", f"{recording['id']}*", "-o", "-name", "*.sln", "-o", "-name", "*.wav")
    leftovers = on_guest(vm, ssh_key, "find", "/data", f"/run/orpheus/storage/{name}", *names)
    assert sorted(p for p in leftovers.split() if not p.startswith(PLAYED)) == [
        f"/run/orpheus/storage/{name}/orpheus-recordings/{recording['id']}.age",
        f"/run/orpheus/storage/{name}/orpheus-recordings/{recording['id']}.json",
    ], leftovers

    # Downloaded through the API from the drive, with the password.
    audio = download(vm, ssh_key, recording["id"])[WAV_HEADER_BYTES:]
    assert_is_what_was_played(audio, recorder.played)

    # The call's record came over AMI and through cdr_custom's RAM spool (a tmpfs of its
    # own): stored once, and the spool emptied.
    def spool_drained() -> bool:
        return on_guest(vm, ssh_key, "ls", "-A", "/run/orpheus-cdr").strip() == ""

    wait_until("the CDR spool drained", spool_drained, timeout=60)
    records = [r for r in cdr_records(vm, ssh_key) if r["id"] == recording["id"]]
    assert len(records) == 1 and records[0]["disposition"] == "answered", records
    fstype = on_guest(vm, ssh_key, "findmnt", "-n", "-o", "FSTYPE", "/run/orpheus-cdr")
    assert fstype.strip() == "tmpfs"
    assert "CDR File custom" in asterisk(vm, ssh_key, "cdr show status")

    # The drive itself, pulled and read on the host: age and the exported identity.
    drive["stick"].pull()
    assert wait_for(vm, name, present=False) is None
    inside = f"orpheus-recordings/{recording['id']}.age"
    sealed = dump_from_drive(drive["image"], inside, drive["directory"] / "sealed.age")
    assert decrypt_with_age(sealed, recorder.identity) == audio
    wrong = subprocess.run(["age", "-d", "-i", "/dev/null"], input=sealed, capture_output=True,
                           check=False)  # fmt: skip
    assert wrong.returncode != 0 and not wrong.stdout


def test_a_drive_pulled_mid_recording_gets_the_recording_once_it_is_back(
    vm: Vm, ssh_key: Path, recorder: Recorder, drive: dict[str, Any]
) -> None:
    name = drive["name"]
    drive["stick"].plug()
    wait_for(vm, name, present=True)
    known = record_call(vm, ssh_key)
    time.sleep(PLAYED_SECONDS / 3)
    drive["stick"].pull()
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
    drive["stick"].plug()
    on_target(vm, recording["id"], name)
    assert not alarmed()
    audio = download(vm, ssh_key, recording["id"])[WAV_HEADER_BYTES:]
    assert_is_what_was_played(audio, recorder.played)


def test_a_drive_pulled_mid_move_ends_the_job_and_leaves_every_recording_once(
    vm: Vm, ssh_key: Path, drive: dict[str, Any]
) -> None:
    name = drive["name"]
    wait_for(vm, name, present=True)  # plugged back by the test before
    on_drive = sorted(r["id"] for r in recordings(vm) if r.get("target") == name)
    assert len(on_drive) >= 2, on_drive
    # Checked again: unmounted and mounted, so the page cache holds none of it and the move
    # reads from the slowed drive.
    code, answer = vm.api("POST", f"/api/v1/storage/{name}/check", PASSWORD, {})
    assert code == 200 and answer["state"] == "mounted", answer
    drive["stick"].slow_reads(SLOW_READ_BPS)
    body = {"from": name, "to": "internal"}
    code, job = vm.api("POST", "/api/v1/recordings/move", PASSWORD, body)
    assert code == 202, job
    time.sleep(3)
    code, running = vm.api("GET", f"/api/v1/jobs/{job['id']}", PASSWORD)
    assert code == 200 and running["state"] == "running", running
    drive["stick"].pull()

    def ended() -> dict[str, Any] | None:
        code, found = vm.api("GET", f"/api/v1/jobs/{job['id']}", PASSWORD)
        assert code == 200, found
        return found if found["state"] != "running" else None

    finished = wait_until("the move's end", ended, timeout=120)
    assert finished["state"] == "failed", finished
    assert f"{name} went away" in finished["message"], finished
    partial = on_guest(vm, ssh_key, "find", "/data", "-name", "*.part", "-o", "-name", "*.copy")
    assert not partial.strip(), partial

    drive["stick"].plug()
    wait_for(vm, name, present=True)
    listed = [r["id"] for r in recordings(vm)]
    assert len(listed) == len(set(listed)), listed  # none twice
    assert set(on_drive) <= set(listed), (on_drive, listed)  # none lost
    where = f"/run/orpheus/storage/{name}"
    leftovers = on_guest(vm, ssh_key, "find", where, "-name", "*.part", "-o", "-name", "*.copy")
    assert not leftovers.strip(), leftovers
