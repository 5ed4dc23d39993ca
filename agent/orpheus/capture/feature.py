"""/api/v1/captures: start a capture (a job, 202), list, show one with its SIP dialogs,
download its pcap, a dialog's ladder diagram (SVG), stop, delete. Area `diagnostics`;
starts, stops and deletions are audited."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.stream import Stream
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.capture import ladder, pcap, tcpdump
from orpheus.capture.analysis import DialogCache
from orpheus.capture.filters import CaptureFilter, FilterInvalid
from orpheus.capture.hep import Counters
from orpheus.capture.hep_asterisk import HepTap
from orpheus.capture.job import KIND, watch
from orpheus.capture.limits import (
    DEFAULT_DURATION_SECONDS,
    DEFAULT_SIZE_MB,
    NoSpace,
    QuotaExceeded,
)
from orpheus.capture.runners import RunFailed, Runner
from orpheus.capture.schemas import (
    CALL_ID,
    CAPTURE,
    CAPTURE_ID,
    CAPTURE_LIST,
    CAPTURE_WITH_DIALOGS,
    DELETED,
    START_REQUEST,
)
from orpheus.capture.store import Capture, CaptureStore
from orpheus.files import DiskFull
from orpheus.jobs.model import Busy, Job, failure_reason
from orpheus.jobs.registry import Exclusive, JobRegistry

log = logging.getLogger(__name__)

PCAP_TYPE = "application/vnd.tcpdump.pcap"
SVG_TYPE = "image/svg+xml"
MAX_RUNNING = 2
RUNNING_RULE = Exclusive(
    f"a capture (at most {MAX_RUNNING} at once)", frozenset({KIND}), MAX_RUNNING
)
STOP_WAIT_SECONDS = 15.0
_ID = {"capture_id": CAPTURE_ID}


class CaptureFeature:
    name = "captures"

    def __init__(
        self,
        store: CaptureStore,
        runner: Runner,
        program: str,
        jobs: JobRegistry,
        audit: AuditSink,
        hep: HepTap | None = None,
    ) -> None:
        """hep: Asterisk's decrypted SIP written into each running capture (None: none)."""
        self.store = store
        self._hep = hep
        self._runner = runner
        self._program = program
        self._jobs = jobs
        jobs.add_rule(RUNNING_RULE)
        self._audit = audit
        self._dialogs = DialogCache()
        self._lock = threading.Lock()
        self._running: dict[str, tuple[threading.Event, threading.Thread]] = {}

    def install_routes(self, api: Api) -> None:
        route = api.route
        base = "/api/v1/captures"
        one = base + "/<capture_id>"
        route(
            "POST",
            base,
            self.start_capture,
            area="diagnostics",
            status=202,
            summary="Start a packet capture (a job; a bounded ring buffer, a duration)",
            body=START_REQUEST,
            response=CAPTURE,
        )
        route(
            "GET",
            base,
            self.list_captures,
            area="diagnostics",
            summary="The kept captures and the quota",
            response=CAPTURE_LIST,
        )
        route(
            "GET",
            one,
            self.show_capture,
            area="diagnostics",
            params=_ID,
            summary="One capture with its SIP dialogs",
            response=CAPTURE_WITH_DIALOGS,
        )
        route(
            "GET",
            one + "/pcap",
            self.download,
            area="diagnostics",
            params=_ID,
            summary="The capture as one pcap file",
            response_type=PCAP_TYPE,
            response={"type": "string", "format": "binary"},
        )
        route(
            "GET",
            one + "/dialogs/<call_id>/ladder.svg",
            self.ladder,
            area="diagnostics",
            params={**_ID, "call_id": CALL_ID},
            response_type=SVG_TYPE,
            summary="A SIP dialog's ladder diagram (SVG)",
            response={"type": "string"},
        )
        route(
            "POST",
            one + "/stop",
            self.stop_capture,
            area="diagnostics",
            params=_ID,
            summary="Stop a running capture (it is kept)",
            response=CAPTURE,
        )
        route(
            "DELETE",
            one,
            self.delete_capture,
            area="diagnostics",
            params=_ID,
            summary="Delete a capture (stopped first if running)",
            response=DELETED,
        )

    def start(self) -> None:
        """Captures an earlier agent left running are stopped and marked so."""
        for capture in self.store.captures():
            if capture.state == "running":
                self._runner.stop_leftover(capture.id)
                self.store.update(capture, state="finished", message="interrupted (agent restart)")
        if self._hep is not None:
            self._hep.start()

    def stop(self) -> None:
        with self._lock:
            running = list(self._running.values())
        for event, _thread in running:
            event.set()
        for _event, thread in running:
            thread.join(STOP_WAIT_SECONDS)
        if self._hep is not None:
            self._hep.stop()

    # routes

    def start_capture(self) -> dict[str, Any]:
        body = json_body()
        try:
            capture_filter = CaptureFilter.parse(body.get("filter"))
        except FilterInvalid as error:
            raise ApiError(400, str(error)) from error
        duration = int(body.get("duration_seconds", DEFAULT_DURATION_SECONDS))
        size_mb = int(body.get("max_size_mb", DEFAULT_SIZE_MB))
        job = Job(KIND, "")
        try:
            self._jobs.claim(job)
        except Busy as error:
            raise ApiError(409, str(error)) from error
        try:
            capture = self._create(job, capture_filter, duration, size_mb)
        except BaseException as error:  # whatever went wrong, the claimed job ends here
            job.finish(
                "failed", str(error) if isinstance(error, ApiError) else failure_reason(error)
            )
            raise
        self._record("capture.start", capture, capture.as_dict())
        return self._with_size(capture)

    def _create(
        self, job: Job, capture_filter: CaptureFilter, duration: int, size_mb: int
    ) -> Capture:
        try:
            capture = self.store.create(capture_filter, duration, size_mb)
        except QuotaExceeded as error:  # the quota is the unit's state: 409; a full disk 507
            job.finish("refused", str(error))
            raise ApiError(507 if isinstance(error, NoSpace) else 409, str(error)) from error
        except (OSError, DiskFull) as error:
            raise ApiError(507, f"cannot keep a capture: {error}") from error
        job.source = capture.id
        try:
            capture = self.store.update(capture, job_id=job.id)
        except (OSError, DiskFull) as error:
            self.store.delete(capture.id)
            raise ApiError(507, f"cannot keep a capture: {error}") from error
        self._launch(job, capture)
        return capture

    def list_captures(self) -> dict[str, Any]:
        captures = [self._with_size(c) for c in self.store.captures()]
        used = sum(int(c["size_bytes"]) for c in captures)
        return {"captures": captures, "quota_mb": self.store.quota_mb, "used_bytes": used}

    def show_capture(self, capture_id: str) -> dict[str, Any]:
        capture = self._capture(capture_id)
        found = self._dialogs.dialogs(capture_id, self.store.files(capture_id))
        answer = self._with_size(capture)
        answer["dialogs"] = [dialog.as_dict() for dialog in found.dialogs.values()]
        answer["dialogs_dropped"] = found.dropped
        return answer

    def download(self, capture_id: str) -> Stream:
        self._capture(capture_id)
        files = pcap.same_link(self.store.files(capture_id))
        sizes = [_size(path) for path in files]
        return Stream(PCAP_TYPE, pcap.merged_length(sizes), pcap.merged(files, sizes))

    def ladder(self, capture_id: str, call_id: str) -> Stream:
        self._capture(capture_id)
        found = self._dialogs.dialogs(capture_id, self.store.files(capture_id))
        dialog = found.dialogs.get(call_id)
        if dialog is None:
            raise ApiError(404, f"capture {capture_id} has no dialog with that Call-ID")
        svg = ladder.render(dialog).encode()
        return Stream(SVG_TYPE, len(svg), [svg])

    def stop_capture(self, capture_id: str) -> dict[str, Any]:
        capture = self._capture(capture_id)
        if capture.state == "running":
            self._stop(capture_id)
            self._record("capture.stop", capture, None)
        return self._with_size(self._capture(capture_id))

    def delete_capture(self, capture_id: str) -> dict[str, str]:
        capture = self._capture(capture_id)
        self._stop(capture_id)
        self.store.delete(capture_id)
        self._dialogs.forget(capture_id)
        self._record("capture.delete", capture, None)
        return {"deleted": capture_id}

    # helpers

    def _launch(self, job: Job, capture: Capture) -> None:
        directory = self.store.directory(capture.id)
        argv = tcpdump.argv(self._program, directory, capture.ring, capture.filter)
        try:
            running = self._runner.start(capture.id, argv, directory, capture.duration_seconds)
        except RunFailed as error:
            job.finish("failed", str(error))
            self.store.update(capture, state="failed", message=str(error))
            raise ApiError(503, f"cannot start the capture: {error}") from error
        stopping = threading.Event()
        also = self._attach_hep(capture)

        def work(job: Job) -> str:
            try:
                return watch(job, self.store, capture, running, stopping, also=also)
            finally:
                if self._hep is not None:
                    self._hep.detach(capture.id)
                with self._lock:
                    self._running.pop(capture.id, None)

        with self._lock:
            thread = self._jobs.spawn(job, work)
            self._running[capture.id] = (stopping, thread)

    def _attach_hep(self, capture: Capture) -> Callable[[], str]:
        """What the capture's message says of HEP: the messages taken, or why none."""
        if self._hep is None:
            return str
        directory = self.store.directory(capture.id)
        attached = self._hep.attach(capture.id, directory, capture.ring.hep_bytes, capture.filter)
        if isinstance(attached, str):
            log.warning("capture %s: %s", capture.id, attached)
            return lambda: attached
        return lambda: _hep_summary(attached)

    def _stop(self, capture_id: str) -> None:
        with self._lock:
            entry = self._running.get(capture_id)
        if entry is None:
            return
        entry[0].set()
        entry[1].join(STOP_WAIT_SECONDS)

    def _capture(self, capture_id: str) -> Capture:
        capture = self.store.get(capture_id)
        if capture is None:
            raise ApiError(404, f"no capture {capture_id}")
        return capture

    def _with_size(self, capture: Capture) -> dict[str, Any]:
        return {**capture.as_dict(), "size_bytes": self.store.size(capture.id)}

    def _record(self, change: str, capture: Capture, after: Any) -> None:
        what = f"capture {capture.id} ({capture.filter.describe()})"
        try:
            self._audit.append(AuditEntry(change, what, request_user(), None, after))
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit %s: %s", change, error)


def _hep_summary(counters: Counters) -> str:
    said = f"{counters.messages} SIP messages from Asterisk (HEP)"
    dropped = counters.over_limit + counters.rejected
    return said + (f", {dropped} dropped" if dropped else "")


def _size(path: Any) -> int:
    try:
        return int(path.stat().st_size)
    except OSError:
        return 0
