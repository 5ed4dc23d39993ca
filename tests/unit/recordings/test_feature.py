"""/api/v1/recordings on the real bottle application: list, audio with the password only
(streamed WAV), a changed byte named before anything is sent, delete audited."""

from __future__ import annotations

import io
import json
import os
import wave
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.auth import PasswordStore
from orpheus.privacy.feature import PrivacyFeature
from orpheus.privacy.keys import PrivacyKeys
from orpheus.recordings.feature import RecordingsFeature
from orpheus.recordings.spool import RecordingSpool
from orpheus.recordings.store import RecordingStore
from tests.unit.privacy.test_feature import Audit

PASSWORD = "the officer's pässwörd"  # not ASCII: the header carries UTF-8
ID = "1764650000.7"


def request(
    app: Any, method: str, path: str, password: str | None = None, raw: str | None = None
) -> tuple[int, bytes]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "CONTENT_LENGTH": "0",
            "CONTENT_TYPE": "application/json",
            "wsgi.input": io.BytesIO(b""),
            LOCAL_ENVIRON_KEY: True,
        }
    )
    if password is not None:
        environ["HTTP_X_PRIVACY_PASSWORD"] = password.encode().decode("latin-1")
    if raw is not None:  # as the server hands it over: latin-1
        environ["HTTP_X_PRIVACY_PASSWORD"] = raw
    statuses: list[str] = []
    data = b"".join(app(environ, lambda status, headers, *_: statuses.append(status)))
    return int(statuses[0].split()[0]), data


def make(tmp_path: Path, audio: bytes) -> tuple[Api, Audit, RecordingStore, RecordingsFeature]:
    api, audit = Api(PasswordStore(tmp_path)), Audit()
    keys = PrivacyKeys(tmp_path / "privacy-key.json", 2**10)
    keys.set_password(PASSWORD, None)
    privacy = PrivacyFeature(keys, audit)
    store = RecordingStore(tmp_path / "recordings")
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    spool = RecordingSpool(spool_dir, store, keys.recipient)
    (spool_dir / f"1764650000_{ID}_internal_102_101.sln").write_bytes(audio)
    spool.scan()  # no writer: finished at once
    feature = RecordingsFeature(store, spool, privacy.unlock, audit)
    privacy.install_routes(api)
    feature.install_routes(api)
    return api, audit, store, feature


def test_list_audio_and_delete(tmp_path: Path) -> None:
    audio = os.urandom(3 * 65536 + 10)[: 3 * 65536 + 10 & ~1]
    api, audit, store, _ = make(tmp_path, audio)
    status, body = request(api.app, "GET", "/api/v1/recordings")
    assert status == 200 and [r["id"] for r in json.loads(body)["recordings"]] == [ID]
    assert request(api.app, "GET", f"/api/v1/recordings/{ID}/audio")[0] == 403
    assert request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", "wrong password")[0] == 403
    assert request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", raw="\xff\xfe")[0] == 403
    status, body = request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", PASSWORD)
    assert status == 200
    with wave.open(io.BytesIO(body)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.readframes(wav.getnframes()) == audio
    status, _ = request(api.app, "DELETE", f"/api/v1/recordings/{ID}")
    assert status == 200 and store.recordings() == []
    assert request(api.app, "GET", f"/api/v1/recordings/{ID}")[0] == 404
    changes = [e.change for e in audit.entries]
    assert changes.count("privacy.wrong-password") == 2
    assert "recording.download" in changes and "recording.delete" in changes


def test_a_changed_byte_is_refused_before_any_audio(tmp_path: Path) -> None:
    api, _, store, _ = make(tmp_path, b"\x01\x02" * 100_000)
    sealed = store.audio_path(ID)
    damaged = bytearray(sealed.read_bytes())
    damaged[len(damaged) // 2] ^= 0x40
    sealed.write_bytes(bytes(damaged))
    status, body = request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", PASSWORD)
    assert status == 422
    assert "chunk 1 fails its authentication tag" in json.loads(body)["error"]


def test_traversal_ids_are_refused(tmp_path: Path) -> None:
    api, _, _, _ = make(tmp_path, b"\x00\x00")
    for bad in ("..", "..%2F..", "1.2.3", "%2e%2e", "1.2%0A"):
        for method, path in (
            ("GET", f"/api/v1/recordings/{bad}"),
            ("GET", f"/api/v1/recordings/{bad}/audio"),
            ("DELETE", f"/api/v1/recordings/{bad}"),
        ):
            assert request(api.app, method, path, PASSWORD)[0] in (400, 404), (method, path)


def test_a_recording_moved_to_a_drive_is_played_and_deleted_there(tmp_path: Path) -> None:
    audio = os.urandom(70_000)
    api, audit, internal, feature = make(tmp_path, audio)
    drive = RecordingStore(tmp_path / "drive/orpheus-recordings")
    drive.directory.parent.mkdir()
    internal.directory.rename(drive.directory)  # as a verified move leaves it
    internal.ensure()
    feature.elsewhere = lambda: [drive]
    status, body = request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", PASSWORD)
    assert status == 200
    with wave.open(io.BytesIO(body)) as wav:
        assert wav.readframes(wav.getnframes()) == audio
    status, _ = request(api.app, "DELETE", f"/api/v1/recordings/{ID}")
    assert status == 200 and drive.recordings() == []
    assert request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", PASSWORD)[0] == 404
    assert [e.change for e in audit.entries][-2:] == ["recording.download", "recording.delete"]


def test_a_drive_pulled_before_the_audio_is_read_gets_a_503_not_a_crash(tmp_path: Path) -> None:
    api, _, internal, feature = make(tmp_path, b"\x01\x00" * 1000)

    class Pulled(RecordingStore):
        def verify(self, recording_id: str, identity: bytes) -> int:
            raise OSError(5, "Input/output error")

    drive = Pulled(tmp_path / "drive")
    internal.directory.rename(drive.directory)
    internal.ensure()
    feature.elsewhere = lambda: [drive]
    status, body = request(api.app, "GET", f"/api/v1/recordings/{ID}/audio", PASSWORD)
    assert status == 503 and "cannot be read" in json.loads(body)["error"], body
