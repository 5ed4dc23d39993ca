"""Calls recorded by the guest's own Asterisk for the storage tests (test_nas, test_usb_...):
the officer's privacy password set once, a known audio file on the guest, and a dialplan
that records a call with the MixMonitor line the rendered dialplan uses on a Lite.

The Mini's tier does not record calls (its licence refuses the recording settings'
`enabled`), so the tests' dialplan records instead: what they test is the storage path on the
booted image (RAM spool, encryption, placement, drives, NAS); the rendered dialplan's recording
is tested on the host (tests/recordings)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from orpheus.recordings.names import mixmonitor
from testbed.audio import RATE, pcm, played_samples, wav_bytes
from testbed.paths import LOG_DIR
from testbed.vm import Vm, ssh_command
from tests.qemu.test_boot import PASSWORD, on_guest

OFFICER_PASSWORD = "the officer's own phrase"
PLAYED_SECONDS = 12
HANG_UP_CUT = RATE  # at most this much of the end may be cut (the hang-up races the frames)
PLAYED = "/data/orpheus-test/played"  # .sln: Asterisk's raw 16-bit 8 kHz
CONTEXT = "orpheus-test-rec"
WAV_HEADER_BYTES = 44
DIALPLAN = (
    f"rec,1,{mixmonitor('internal', '101')}",
    f"rec,2,Dial(Local/answer@{CONTEXT}/n,30)",
    "rec,3,Hangup()",
    "answer,1,Answer()",
    "answer,2,Wait(120)",
)

FIGURES = LOG_DIR / "storage-figures.json"  # what bench/results.json's qemu_storage quotes

_T = TypeVar("_T")


def record_figure(name: str, value: float) -> None:
    """A timing seen by a storage test under TCG, kept for the benchmark's record (never
    asserted: this machine is noisy)."""
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures[name] = round(value, 2)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Recorder:
    played: list[int]  # the samples every recorded call plays
    identity: Path  # the officer's exported age identity, on the host


def prepare(vm: Vm, key: Path, directory: Path) -> Recorder:
    played = played_samples(PLAYED_SECONDS)
    put_on_guest(vm, key, f"{PLAYED}.sln", wav_bytes(played))
    code, state = vm.api("GET", "/api/v1/privacy", PASSWORD)
    assert code == 200 and not state["password_set"], state
    code, state = vm.api("PUT", "/api/v1/privacy", PASSWORD, {"password": OFFICER_PASSWORD})
    assert code == 200 and state["password_set"], state
    body = {"password": OFFICER_PASSWORD}
    code, exported = vm.api("POST", "/api/v1/privacy/identity", PASSWORD, body)
    assert code == 200, exported
    identity = directory / "identity.txt"
    identity.write_text(exported["identity"])
    return Recorder(played, identity)


def put_on_guest(vm: Vm, key: Path, path: str, data: bytes) -> None:
    script = f"mkdir -p -m 755 \"$(dirname '{path}')\" && cat > '{path}' && chmod 644 '{path}'"
    command = ssh_command(vm, key, "sh", "-c", script)
    subprocess.run(command, input=data, check=True, capture_output=True, timeout=120)


def bytes_from_guest(vm: Vm, key: Path, path: str) -> bytes:
    command = ssh_command(vm, key, "cat", path)
    return subprocess.run(command, check=True, capture_output=True, timeout=120).stdout


def asterisk(vm: Vm, key: Path, command: str) -> str:
    return on_guest(vm, key, "asterisk", "-rx", command)


def set_recording_storage(vm: Vm, storage: str) -> None:
    code, answer = vm.api("PUT", "/api/v1/pbx/recording/recording", PASSWORD, {"storage": storage})
    assert code == 200, answer


def set_default(vm: Vm, name: str) -> None:
    code, answer = vm.api("PUT", "/api/v1/storage/default", PASSWORD, {"target": name})
    assert code == 200, answer


def recordings(vm: Vm) -> list[dict[str, Any]]:
    code, answer = vm.api("GET", "/api/v1/recordings", PASSWORD)
    assert code == 200, answer
    return list(answer["recordings"])


def wait_until(
    what: str, check: Callable[[], _T | None], timeout: float = 180.0, interval: float = 2.0
) -> _T:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(interval)


def record_call(vm: Vm, key: Path) -> set[str]:
    """A call whose second leg is answered by the test's dialplan and recorded by MixMonitor
    (bridged: its `b` option); the first leg plays PLAYED into it and hangs up at its end.
    The ids listed before it.

    The dialplan is added for each call: every PBX change (the recording settings' storage)
    reloads the rendered dialplan, which drops what the CLI added."""
    for step in DIALPLAN:
        asterisk(vm, key, f"dialplan add extension {step} into {CONTEXT} replace")
    known = {r["id"] for r in recordings(vm)}
    application = f"application Playback {PLAYED}"
    asterisk(vm, key, f"channel originate Local/rec@{CONTEXT}/n {application}")
    return known


def new_recording(vm: Vm, known: set[str], timeout: float = 180.0) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        fresh = [r for r in recordings(vm) if r["id"] not in known]
        return fresh[0] if fresh else None

    return wait_until("a new recording in the list", found, timeout)


def on_target(vm: Vm, recording_id: str, name: str, timeout: float = 180.0) -> dict[str, Any]:
    def there() -> dict[str, Any] | None:
        listed = (r for r in recordings(vm) if r["id"] == recording_id)
        return next((r for r in listed if r.get("target") == name and not r.get("moving_to")),
                    None)  # fmt: skip

    return wait_until(f"{recording_id} on {name}", there, timeout)


def download(vm: Vm, key: Path, recording_id: str) -> bytes:
    """orpheusctl recordings download on the guest, with the officer's password: the WAV."""
    out = "/run/orpheus-test-downloaded.wav"  # RAM: the plain audio never reaches a disk
    script = (f"printf '%s\\n' \"{OFFICER_PASSWORD}\" | orpheusctl recordings download "
              f"{recording_id} -o {out} --stdin")  # fmt: skip
    on_guest(vm, key, "sh", "-c", script)
    downloaded = bytes_from_guest(vm, key, out)
    on_guest(vm, key, "rm", "-f", out)
    assert downloaded[:4] == b"RIFF", downloaded[:64]
    return downloaded


def cdr_records(vm: Vm, key: Path) -> list[dict[str, Any]]:
    """orpheusctl cdr list on the guest, with the officer's password."""
    script = f"printf '%s\\n' \"{OFFICER_PASSWORD}\" | orpheusctl cdr list --json --stdin"
    return list(json.loads(on_guest(vm, key, "sh", "-c", script))["records"])


def assert_is_what_was_played(audio: bytes, played: list[int]) -> None:
    recorded = pcm(audio)
    assert len(played) - HANG_UP_CUT <= len(recorded) <= len(played), len(recorded)
    assert recorded == played[: len(recorded)]


def decrypt_with_age(sealed: bytes, identity: Path) -> bytes:
    """Debian's age, and nothing of the unit: what the officer does with a copy."""
    assert b"age-encryption.org/v1" in sealed[:40]
    return subprocess.run(
        ["age", "-d", "-i", str(identity)], input=sealed, capture_output=True, check=True
    ).stdout
