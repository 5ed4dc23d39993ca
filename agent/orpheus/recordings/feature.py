"""/api/v1/recordings: the list, one recording's facts, its audio (with the privacy password),
deletion; and the RAM spool's follower (recordings/spool.py) as background work.

The audio needs the privacy password in the `X-Privacy-Password` header on every request,
besides the admin's own login: the admin alone cannot listen. The file is decrypted once
to check every chunk's tag (a changed byte is answered 422 naming the chunk, before any
audio is sent), then streamed, decrypted a chunk at a time, as a WAV file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import bottle

from orpheus.api.app import Api, ApiError
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.api.stream import Stream
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.recordings.names import ID_PATTERN
from orpheus.recordings.spool import RecordingSpool
from orpheus.recordings.store import Damaged, NoSuchRecording, RecordingStore, wav_header

log = logging.getLogger(__name__)

PASSWORD_HEADER = "X-Privacy-Password"  # noqa: S105 (a header name)
RECORDING_ID = string(
    f"^{ID_PATTERN}$",
    max_length=64,
    error="a recording id: Asterisk's unique id, e.g. 1733112345.12",
)
_NULLABLE_TEXT = {"type": "string", "maxLength": 64}
FACTS = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "started": {"type": "string"},
        "direction": {"type": "string"},
        "caller": _NULLABLE_TEXT,
        "called": _NULLABLE_TEXT,
        "duration_seconds": {"type": "number"},
        "bytes": {"type": "integer"},
        "target": {"type": "string"},
        "moving_to": {"type": "string"},
        "trunk": {"type": ["string", "null"]},
        "call_duration_seconds": {"type": "integer"},
    },
    "required": ["id", "started", "direction", "duration_seconds"],
}
Unlock = Callable[[str | None, str], bytes]


def _nowhere(recording_id: str) -> str | None:
    return None


def _no_other_stores() -> list[RecordingStore]:
    return []


def header_password() -> str | None:
    """The privacy password from its header (UTF-8 bytes: bottle decodes them)."""
    try:
        value = bottle.request.get_header(PASSWORD_HEADER)
    except UnicodeError:  # not UTF-8: no password matches it
        return "\ufffd"
    return None if value is None else str(value)


class RecordingsFeature:
    name = "recordings"

    def __init__(
        self, store: RecordingStore, spool: RecordingSpool, unlock: Unlock, audit: AuditSink
    ) -> None:
        self.store = store
        self.spool = spool
        self._unlock = unlock
        self._audit = audit
        # The target a recording is being moved to (storage/placement.py), and the other
        # targets' stores, reachable now, that hold the ones moved there (wiring).
        self.located: Callable[[str], str | None] = _nowhere
        self.elsewhere: Callable[[], list[RecordingStore]] = _no_other_stores

    def install_routes(self, api: Api) -> None:
        one = {"recording_id": RECORDING_ID}
        api.route(
            "GET",
            "/api/v1/recordings",
            self.list,
            area="recordings",
            summary="The recordings, oldest first",
            response=obj({"recordings": {"type": "array", "items": FACTS}}, ("recordings",)),
        )
        api.route(
            "GET",
            "/api/v1/recordings/<recording_id>",
            self.show,
            area="recordings",
            params=one,
            summary="What the unit knows of one recorded call",
            response=FACTS,
        )
        api.route(
            "GET",
            "/api/v1/recordings/<recording_id>/audio",
            self.audio,
            area="recordings",
            params=one,
            summary=f"The recording as WAV, decrypted; needs the privacy password in the "
            f"{PASSWORD_HEADER} header",
            headers={PASSWORD_HEADER: string(max_length=256)},
            response={"type": "string", "format": "binary"},
            response_type="audio/wav",
        )
        api.route(
            "DELETE",
            "/api/v1/recordings/<recording_id>",
            self.delete,
            area="recordings",
            params=one,
            summary="Delete a recording (audited)",
            response=obj({"deleted": {"type": "string"}}, ("deleted",)),
        )

    def start(self) -> None:
        self.spool.start()

    def stop(self) -> None:
        self.spool.stop()

    def list(self) -> dict[str, object]:
        found = [self._locate(facts) for facts in self.store.recordings()]
        seen = {str(facts.get("id")) for facts in found}
        for store in self.elsewhere():
            try:
                found += [f for f in store.recordings() if str(f.get("id")) not in seen]
            except OSError as error:  # a drive pulled meanwhile
                log.warning("recordings of %s not listed: %s", store.directory, error)
        found.sort(key=lambda facts: (str(facts.get("started")), str(facts.get("id"))))
        return {"recordings": found}

    def _locate(self, facts: dict[str, object]) -> dict[str, object]:
        moving_to = self.located(str(facts.get("id")))
        return facts | {"moving_to": moving_to} if moving_to else facts

    def show(self, recording_id: str) -> dict[str, object]:
        store, facts = self._holder(recording_id)
        return self._locate(facts) if store is self.store else facts

    def _holder(self, recording_id: str) -> tuple[RecordingStore, dict[str, object]]:
        """The store that holds the recording (internal, or the drive or NAS it was moved
        to) and its facts; 404 when none of the reachable ones does."""
        try:
            return self.store, self.store.get(recording_id)
        except NoSuchRecording as error:
            for store in self.elsewhere():
                try:
                    return store, store.get(recording_id)
                except (NoSuchRecording, OSError):
                    continue
            raise ApiError(404, str(error)) from error

    def audio(self, recording_id: str) -> Stream:
        store, _facts = self._holder(recording_id)  # 404 before the password is looked at
        identity = self._unlock(header_password(), f"recording {recording_id}")
        try:
            size = store.verify(recording_id, identity)
        except Damaged as error:
            log.error("%s", error)
            raise ApiError(422, str(error)) from error
        except NoSuchRecording as error:
            raise ApiError(404, str(error)) from error
        except OSError as error:  # the drive pulled or the NAS gone meanwhile
            raise ApiError(503, f"recording {recording_id} cannot be read: {error}") from error
        self._append(
            AuditEntry(
                "recording.download",
                f"recording {recording_id}",
                request_user(),
                None,
                {"audio_bytes": size},
            )
        )
        chunks = store.wav(recording_id, identity, size)
        return Stream("audio/wav", len(wav_header(size)) + size, chunks)

    def delete(self, recording_id: str) -> dict[str, object]:
        store, _facts = self._holder(recording_id)
        try:
            facts = store.delete(recording_id)
        except NoSuchRecording as error:
            raise ApiError(404, str(error)) from error
        except OSError as error:
            raise ApiError(503, f"recording {recording_id} not deleted: {error}") from error
        self._append(
            AuditEntry("recording.delete", f"recording {recording_id}", request_user(), facts, None)
        )
        return {"deleted": recording_id}

    def _append(self, entry: AuditEntry) -> None:
        try:
            self._audit.append(entry)
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit %s: %s", entry.change, error)
