"""POST /api/v1/recordings/copy and POST /api/v1/recordings/move: a transfer between two
storage targets as a job (202 and the job; GET /api/v1/jobs/<id> follows it).

Both take {"to", "from" (default internal), "since", "until", "extension", "direction",
"older_than_days"}; "archive" is a move with older_than_days. One transfer runs at a time;
at the agent's start an interrupted one (its journal) is resumed as a new job.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import Schema, obj, string
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.jobs.model import Busy, Job, Refusal
from orpheus.jobs.registry import JobRegistry
from orpheus.jobs.schemas import JOB
from orpheus.recordings.names import DIRECTIONS
from orpheus.recordings.selection import DATE_PATTERN, EXTENSION_PATTERN, MAX_AGE_DAYS, Selection
from orpheus.storage.journal import Mode, Plan
from orpheus.storage.schemas import TARGET_NAME
from orpheus.storage.transfer_job import ONE_TRANSFER, Transfers

log = logging.getLogger(__name__)

_DATE = string(f"^{DATE_PATTERN}$", max_length=10, error="a date: YYYY-MM-DD (UTC)")
TRANSFER_REQUEST: Schema = obj(
    {
        "to": TARGET_NAME,
        "from": TARGET_NAME,
        "since": _DATE,
        "until": _DATE,
        "extension": string(
            f"^{EXTENSION_PATTERN}$", max_length=32, error="an extension: digits, + or *"
        ),
        "direction": {"enum": list(DIRECTIONS)},
        "older_than_days": {"type": "integer", "minimum": 0, "maximum": MAX_AGE_DAYS},
    },
    ("to",),
)


class TransferFeature:
    name = "recording-transfers"

    def __init__(self, transfers: Transfers, jobs: JobRegistry, audit: AuditSink) -> None:
        self.transfers = transfers
        self.jobs = jobs
        jobs.add_rule(ONE_TRANSFER)
        self._audit = audit
        self._lock = threading.Lock()
        self._running: dict[int, Plan] = {}
        self.finished: Callable[[], None] = lambda: None  # retention's wake (wiring)

    def install_routes(self, api: Api) -> None:
        for mode in ("copy", "move"):
            api.route(
                "POST",
                f"/api/v1/recordings/{mode}",
                self.copy if mode == "copy" else self.move,
                area="recordings",
                status=202,
                summary=f"{mode.capitalize()} recordings to another storage target (a job): "
                "filtered by date, extension, direction or age",
                body=TRANSFER_REQUEST,
                response=JOB,
            )

    def start(self) -> None:
        plan = self.transfers.journal.read()
        if plan is None:
            return
        log.info("resuming the %s from %s to %s", plan.mode, plan.source, plan.destination)
        try:
            self._spawn(plan)
        except Busy as error:  # nothing else runs at start; said all the same
            log.error("interrupted %s not resumed: %s", plan.mode, error)

    def stop(self) -> None:
        self.transfers.stopping.set()

    def copy(self) -> dict[str, object]:
        return self._request("copy")

    def move(self) -> dict[str, object]:
        return self._request("move")

    def busy(self, target: str) -> str | None:
        """Why a target may not be ejected now: the job using it, or None."""
        with self._lock:
            for job_id, plan in self._running.items():
                if target in (plan.source, plan.destination):
                    return f"job {job_id} ({plan.mode} {plan.source} -> {plan.destination})"
        return None

    def claimed(self, target: str) -> frozenset[str]:
        """The recordings the running transfers take from or to a target (retention keeps
        them)."""
        with self._lock:
            return frozenset(
                recording_id
                for plan in self._running.values()
                if target in (plan.source, plan.destination)
                for recording_id in plan.ids
            )

    def _request(self, mode: Mode) -> dict[str, object]:
        body = json_body()
        try:
            selection = Selection.from_request(body)
        except ValueError as error:
            raise ApiError(400, str(error)) from error
        try:
            plan = self.transfers.plan(mode, body.get("from", "internal"), body["to"], selection)
            job = self._spawn(plan)
        except Refusal as error:
            raise ApiError(409, str(error)) from error
        except Busy as error:
            raise ApiError(409, str(error)) from error
        self._record(plan, job)
        return job.as_dict()

    def _spawn(self, plan: Plan) -> Job:
        job = self.jobs.claim(Job(plan.mode, f"{plan.source} -> {plan.destination}"))
        with self._lock:
            self._running[job.id] = plan

        def work(job: Job) -> str:
            try:
                return self.transfers.run(job, plan)
            finally:
                with self._lock:
                    self._running.pop(job.id, None)
                self.finished()

        self.jobs.spawn(job, work)
        return job

    def _record(self, plan: Plan, job: Job) -> None:
        after: dict[str, Any] = {
            "job": job.id, "from": plan.source, "to": plan.destination,
            "recordings": len(plan.ids), "selection": plan.selection,
        }  # fmt: skip
        try:
            self._audit.append(
                AuditEntry(f"recordings.{plan.mode}", "recordings", request_user(), None, after)
            )
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit the %s: %s", plan.mode, error)
