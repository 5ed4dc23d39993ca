"""A recorded call on the real Asterisk: recorded into RAM, encrypted onto /data as it grows,
listed after the hang-up, downloaded with the privacy password only, and the file on disk
decrypts with Debian's age and the exported identity, giving back the audio played."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from testbed.audio import RATE, pcm, played_samples, write_wav
from testbed.pbx_unit import Unit, add_extension, register_phone
from testbed.polling import wait_for

pytestmark = pytest.mark.rootfs

OFFICER_PASSWORD = "correct horse battery"
PLAYED_SECONDS = 12  # longer than a 64 KiB chunk of audio (4.1 s): the spool is punched
HANG_UP_CUT = RATE // 2  # at most this much of the end of what was played may be cut


class _Unix(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=60)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(self._path))


def request(
    unit: Unit,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    connection = _Unix(unit.agent.socket)
    sent = {"Content-Type": "application/json", **(headers or {})}
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def download(unit: Unit, recording_id: str, out: Path) -> bytes:
    """orpheusctl recordings download with the officer's password: the WAV's audio frames."""
    right = unit.agent.ctl_input(
        f"{OFFICER_PASSWORD}\n", "recordings", "download", recording_id, "-o", str(out), "--stdin"
    )
    assert right.returncode == 0, right.stderr
    with wave.open(str(out), "rb") as downloaded:
        assert (downloaded.getframerate(), downloaded.getsampwidth()) == (RATE, 2)
        return downloaded.readframes(downloaded.getnframes())


def spool_dir(unit: Unit) -> Path:
    return unit.sandbox.root / "run/orpheus-recording"


def test_a_recorded_call_is_encrypted_listed_and_read_only_with_the_password(
    recording_unit: Unit, tmp_path: Path
) -> None:
    unit = recording_unit
    assert unit.agent.ctl("pbx", "add", "recording", "enabled=yes").returncode == 0
    add_extension(unit, "101")
    result = unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "privacy", "set-password", "--stdin")
    assert result.returncode == 0, result.stderr
    state: Any = unit.agent.ctl_json("privacy", "show", "--json")
    assert state["password_set"] and state["recipient"].startswith("age1")

    played = played_samples(PLAYED_SECONDS)
    write_wav(unit.sandbox.root / "tmp/orpheus-played.wav", played)
    phone = register_phone(unit, "101", 5070)
    try:
        originated_at = time.monotonic()
        unit.cli(
            "channel originate Local/101@orpheus-targets/n application Playback /tmp/orpheus-played"
        )
        # While the call runs the tmpfs holds only what the agent has not read yet.
        largest = {"size": 0, "held": 0}

        def sample_spool() -> bool:
            for path in spool_dir(unit).glob("*.sln"):
                stat = path.stat()
                largest["size"] = max(largest["size"], stat.st_size)
                largest["held"] = max(largest["held"], stat.st_blocks * 512)
            return bool(unit.agent.ctl_json("recordings", "list", "--json"))

        wait_for(
            "the recording in the list", sample_spool, timeout=PLAYED_SECONDS + 60, interval=0.1
        )
    finally:
        phone.stop()
    listed_after = time.monotonic() - originated_at - PLAYED_SECONDS
    print(f"listed {listed_after:.2f} s after the playback's end (the hang-up), at most")
    print(f"RAM spool: file size up to {largest['size']} B, held in RAM up to {largest['held']} B")
    assert largest["size"] > 128 * 1024  # the call was long enough to be punched
    # The chunk being filled, what Asterisk wrote since the last poll (32 KiB at a time, its
    # stdio buffer) and a page: the rest of the call was sealed and punched out of RAM.
    assert 0 < largest["held"] <= 100 * 1024, largest
    assert list(spool_dir(unit).iterdir()) == []  # nothing left in RAM after the hang-up

    (recording,) = unit.agent.ctl_json("recordings", "list", "--json")  # type: ignore[misc]
    assert recording["direction"] == "internal" and recording["called"] == "101"
    assert recording["duration_seconds"] >= PLAYED_SECONDS - 1
    stored = sorted(p.name for p in (unit.sandbox.data / "recordings").iterdir())
    assert stored == [f"{recording['id']}.age", f"{recording['id']}.json"]
    assert not list(unit.sandbox.data.rglob("*.sln")) and not list(unit.sandbox.data.rglob("*.wav"))

    # Refused without the password and with a wrong one (and audited); the admin's own
    # access (the console socket) is not enough.
    audio_path = f"/api/v1/recordings/{recording['id']}/audio"
    status, body = request(unit, "GET", audio_path)
    assert status == 403 and b"privacy password is needed" in body
    status, body = request(unit, "GET", audio_path, {"X-Privacy-Password": "wrong password!"})
    assert status == 403 and b"wrong privacy password" in body
    out = tmp_path / "call.wav"
    wrong = unit.agent.ctl_input(
        "not the password\n",
        "recordings",
        "download",
        recording["id"],
        "-o",
        str(out),
        "--stdin",
    )
    assert wrong.returncode == 1 and "wrong privacy password" in wrong.stderr
    assert not out.exists()
    audit: Any = unit.agent.ctl_json("audit", "--json")
    assert sum(entry["change"] == "privacy.wrong-password" for entry in audit) == 2

    audio = download(unit, recording["id"], out)
    # Exactly what was played (slin end to end, no codec in between), from its first sample;
    # the hang-up races the last frames through the Local channel (20 to 120 ms seen).
    recorded = pcm(audio)
    assert len(played) - HANG_UP_CUT <= len(recorded) <= len(played)
    assert recorded == played[: len(recorded)]

    # The file on disk decrypts with Debian's age and the exported identity, to the same audio.
    exported = unit.agent.ctl_input(
        f"{OFFICER_PASSWORD}\n", "privacy", "export-identity", "--stdin"
    )
    assert exported.returncode == 0, exported.stderr
    identity = tmp_path / "identity.txt"
    identity.write_text(exported.stdout)
    sealed = unit.sandbox.data / "recordings" / f"{recording['id']}.age"
    decrypted = subprocess.run(
        ["age", "-d", "-i", str(identity), str(sealed)], capture_output=True, check=True
    ).stdout
    assert decrypted == audio

    # One byte changed on disk: detected by its tag, named, nothing sent.
    damaged = bytearray(sealed.read_bytes())
    damaged[-100] ^= 0x10
    sealed.write_bytes(bytes(damaged))
    status, body = request(unit, "GET", audio_path, {"X-Privacy-Password": OFFICER_PASSWORD})
    assert status == 422 and b"fails its authentication tag" in body, body
    assert json.loads(body)["error"].count("\n") == 0


@pytest.mark.parametrize(
    "bad",
    [
        "..",
        "..%2F..%2Forpheus%2Fprivacy-key",
        "1.2%00",
        "a" * 70,
        "1.2.3",
        "..%2fprivacy-key.json",
        "1733112345.1%0A",
    ],
)
def test_path_traversal_ids_are_refused_in_every_route(recording_unit: Unit, bad: str) -> None:
    state = sorted(p.name for p in (recording_unit.sandbox.data / "orpheus").iterdir())
    for method, path in (
        ("GET", f"/api/v1/recordings/{bad}"),
        ("GET", f"/api/v1/recordings/{bad}/audio"),
        ("DELETE", f"/api/v1/recordings/{bad}"),
    ):
        status, body = request(
            recording_unit, method, path, {"X-Privacy-Password": OFFICER_PASSWORD}
        )
        assert status in (400, 404), (method, path, status, body)
    assert sorted(p.name for p in (recording_unit.sandbox.data / "orpheus").iterdir()) == state


def test_an_agent_restarted_mid_call_keeps_the_whole_recording(
    recording_unit: Unit, tmp_path: Path
) -> None:
    unit = recording_unit
    if not unit.agent.ctl_json("privacy", "show", "--json")["password_set"]:  # type: ignore[index]
        set_password = unit.agent.ctl_input(
            f"{OFFICER_PASSWORD}\n", "privacy", "set-password", "--stdin"
        )
        assert set_password.returncode == 0, set_password.stderr
    assert unit.agent.ctl("pbx", "add", "recording", "enabled=yes").returncode == 0
    if unit.agent.ctl("pbx", "show", "extension", "102").returncode != 0:
        add_extension(unit, "102")
    before = {r["id"] for r in unit.agent.ctl_json("recordings", "list", "--json")}  # type: ignore[attr-defined]
    played = played_samples(PLAYED_SECONDS)
    write_wav(unit.sandbox.root / "tmp/orpheus-played.wav", played)
    phone = register_phone(unit, "102", 5072)
    try:
        unit.cli(
            "channel originate Local/102@orpheus-targets/n application Playback /tmp/orpheus-played"
        )
        wait_for(
            "the recording to grow past two chunks",
            lambda: any(p.stat().st_size > 160_000 for p in spool_dir(unit).glob("*.sln")),
            timeout=60,
            interval=0.1,
        )
        unit.agent.stop()  # SIGTERM mid-call, as systemd's restart does
        unit.agent.start()

        def new_recordings() -> list[Any]:
            listed: Any = unit.agent.ctl_json("recordings", "list", "--json")
            return [r for r in listed if r["id"] not in before]

        wait_for(
            "the recording in the list", new_recordings, timeout=PLAYED_SECONDS + 60, interval=0.2
        )
    finally:
        phone.stop()
    (recording,) = new_recordings()
    assert not recording["incomplete"]
    out = tmp_path / "call.wav"
    recorded = pcm(download(unit, recording["id"], out))
    assert len(played) - HANG_UP_CUT <= len(recorded) <= len(played)
    assert recorded == played[: len(recorded)]
