"""The update API: install (file, upload or URL) as a job, status of both slots, rollback.

GET  /api/v1/update            slots, primary, booted, job, last install/commit/rollback
POST /api/v1/update            {"url"|"path", "reboot", "force", "idle_timeout"} or the
                               bundle itself as application/octet-stream (?reboot=1...)
POST /api/v1/update/rollback   {"reboot": false}: boot the other slot next time
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottle

from orpheus.api import upload
from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.dbus.rauc import RaucError
from orpheus.jobs.model import Failure, Refusal
from orpheus.jobs.registry import ends_on_error
from orpheus.update.installer import (
    MIN_FREE_BYTES,
    InstallDeps,
    Installer,
    InstallRequest,
    check_source,
    other_slot,
)
from orpheus.update.jobs import Busy, Job, JobSlot
from orpheus.update.policy import Refused
from orpheus.update.rauc_view import RaucView
from orpheus.update.schemas import (
    INSTALL_REQUEST,
    JOB,
    ROLLBACK_ANSWER,
    ROLLBACK_REQUEST,
    UPDATE_STATUS,
    UPLOAD_QUERY,
)
from orpheus.update.state import now_iso
from orpheus.update.status import SlotStatus, UpdateStatus

log = logging.getLogger(__name__)


def read_boot_id(path: Path = Path("/proc/sys/kernel/random/boot_id")) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


class UpdateFeature:
    name = "update"

    def __init__(
        self,
        deps: InstallDeps,
        upload_dir: Path,
        view: RaucView,
        jobs: JobSlot | None = None,
        audit: AuditSink | None = None,
        restore_gives_way: Callable[[], None] = lambda: None,
    ) -> None:
        self.deps = deps
        self._audit = audit
        self.upload_dir = upload_dir
        # Requests read RAUC's view as the agent last refreshed it, never RAUC itself.
        self.view = view
        self.jobs = jobs if jobs is not None else JobSlot()
        self.installer = Installer(deps)
        # A running restore of the fallback stops for an install (update/fallback.py).
        self._restore_gives_way = restore_gives_way

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/update",
            self.status,
            area="firmware",
            summary="Both slots, the job, last results",
            response=UPDATE_STATUS,
        )
        api.route(
            "POST",
            "/api/v1/update",
            self.install,
            area="firmware",
            status=202,
            summary="Install a bundle: a path or URL as JSON, or the bundle uploaded",
            body=INSTALL_REQUEST,
            upload_limit=self.upload_limit,
            upload_query=UPLOAD_QUERY,
            response=JOB,
        )
        api.route(
            "POST",
            "/api/v1/update/rollback",
            self.rollback,
            area="firmware",
            summary="Boot the other slot's firmware next",
            body=ROLLBACK_REQUEST,
            response=ROLLBACK_ANSWER,
        )

    def start(self) -> None:
        deps = self.deps
        state = deps.state.read()
        deps.state.set_slot(deps.booted_slot, deps.running.version, deps.running.build_date)
        if not state["slots"]:
            # As flashed, the other slot holds a copy of the same firmware.
            other = other_slot(deps.booted_slot)
            deps.state.set_slot(other, deps.running.version, deps.running.build_date)
        # The configuration's schema was checked before Asterisk started (configcheck).
        self.installer.discard_download()
        # (RAUC's view is first asked by the fallback keeper's thread, or the first request.)

    def stop(self) -> None:
        pass

    # GET /api/v1/update
    def status(self) -> dict[str, Any]:
        try:
            return self.snapshot().to_dict()
        except RaucError as error:
            raise ApiError(503, f"RAUC does not answer: {error}") from error

    def snapshot(self) -> UpdateStatus:
        """Raises RaucError when RAUC has never answered."""
        state = self.deps.state.read()
        job = self.jobs.current
        return UpdateStatus(
            booted=self.deps.booted_slot,
            running_version=self.deps.running.version,
            slots=self._slots(state),
            job=job.as_dict() if job else None,
            pending=state.get("pending"),
            last_install=state.get("last_install"),
            last_commit=state.get("last_commit"),
            last_rollback=state.get("last_rollback"),
            config=state.get("config"),
            fallback=self._fallback(state, job),
        )

    @staticmethod
    def _fallback(state: dict[str, Any], job: Job | None) -> dict[str, Any] | None:
        """The newest restore of the other slot, with its progress while it runs."""
        record = state.get("fallback")
        if record is None or job is None or job.kind != "restore" or not job.running:
            return record
        return {**record, "state": "restoring", "progress": job.progress}

    def _slots(self, state: dict[str, Any]) -> tuple[SlotStatus, ...]:
        raw_slots, primary = self.view.current()
        slots = []
        for name, info in sorted(raw_slots.items()):
            bootname = str(info.get("bootname", name))
            known = state["slots"].get(bootname, {})
            slots.append(
                SlotStatus(
                    slot=name,
                    bootname=bootname,
                    version=known.get("version"),
                    build_date=known.get("build_date"),
                    state=info.get("state"),
                    boot_status=info.get("boot-status"),
                    booted=bootname == self.deps.booted_slot,
                    primary=name == primary,
                )
            )
        return tuple(slots)

    # POST /api/v1/update
    def install(self) -> dict[str, Any]:
        request = self._request()
        job = Job("install", request.source)
        try:
            self._claim(job)
        except Busy as error:
            raise ApiError(409, str(error)) from error
        try:
            with ends_on_error(job):
                request = self._prepare(job, request)
        except (Refusal, Failure) as error:
            self._record_end(job)
            raise ApiError(400, str(error)) from error
        except BaseException:
            self._record_end(job)
            raise
        self.jobs.registry.spawn(job, lambda running: self._install_job(running, request))
        self._record(
            "update.install",
            f"firmware from {job.source}",
            {"slot": self.deps.booted_slot, "version": self.deps.running.version},
            {"job": job.id, "source": job.source, "reboot": request.reboot},
        )
        bottle.response.status = 202
        return job.as_dict()

    def _claim(self, job: Job) -> None:
        """Busy while another install runs; a restore of the fallback stops for it."""
        try:
            self.jobs.claim(job)
        except Busy:
            self._restore_gives_way()
            self.jobs.claim(job)

    def _install_job(self, job: Job, request: InstallRequest) -> str:
        try:
            return self.installer.run(job, request)
        finally:
            self.view.refresh()  # the slots as the install left them, for the next request

    def _prepare(self, job: Job, request: InstallRequest) -> InstallRequest:
        """In the request's thread: the upload received, the source checked."""
        if bottle.request.content_type.startswith("application/octet-stream"):
            request = self._receive_upload(job, request)
        check_source(request, self.deps.data_dir)
        return request

    def _record_end(self, job: Job) -> None:
        """A job that ended in the request's thread (refused, or failed as a cut upload)."""
        self.deps.state.update(
            last_install={"result": job.state, "message": job.message, "at": now_iso()}
        )

    def _request(self) -> InstallRequest:
        if bottle.request.content_type.startswith("application/octet-stream"):
            query = bottle.request.query
            return InstallRequest(
                source="upload",
                reboot=query.get("reboot") in ("1", "true"),
                force=query.get("force") in ("1", "true"),
                idle_timeout=float(query.get("idle_timeout") or 1800),
            )
        body = json_body()
        source = body.get("url") or body.get("path")
        if not isinstance(source, str) or not source:
            raise ApiError(400, "give the bundle as 'url' or 'path', or upload it")
        return InstallRequest(
            source=source,
            reboot=bool(body.get("reboot", False)),
            force=bool(body.get("force", False)),
            idle_timeout=float(body.get("idle_timeout", 1800)),
        )

    def upload_limit(self) -> int:
        """An uploaded bundle may fill the data partition but for MIN_FREE_BYTES."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        return max(0, shutil.disk_usage(self.upload_dir).free - MIN_FREE_BYTES)

    def _receive_upload(self, job: Job, request: InstallRequest) -> InstallRequest:
        length = bottle.request.content_length
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.upload_dir).free
        if length < 0:
            raise Refused("the upload has no Content-Length: send the bundle's size with it")
        body = bottle.request.environ["wsgi.input"]
        # A body the server spooled on this filesystem already takes its space: it is linked.
        needed = 0 if upload.spooled_beside(body, length, self.upload_dir / "x") else length
        if needed + MIN_FREE_BYTES > free:
            raise Refused(
                f"data partition full: the upload needs {length // 1024**2} MiB plus "
                f"{MIN_FREE_BYTES // 1024**2} MiB, {free // 1024**2} MiB free"
            )
        target = self.upload_dir / "upload.raucb"
        job.step(1, f"receiving the bundle ({length} bytes)")
        try:
            upload.receive(body, length, target)
        except upload.UploadError as error:
            raise Failure(str(error)) from error
        return InstallRequest(str(target), request.reboot, request.force, request.idle_timeout)

    # POST /api/v1/update/rollback
    def rollback(self) -> dict[str, Any]:
        body = json_body()
        job = self.jobs.current
        if job is not None and job.running:
            raise ApiError(409, f"an update job is running (job {job.id}): roll back after it")
        # A rollback is decided on RAUC's answer now, not on the view's last one.
        if not self.view.refresh():
            raise ApiError(503, f"RAUC does not answer: {self.view.error}")
        raw_slots, _primary = self.view.current()
        target = other_slot(self.deps.booted_slot)
        info = next((i for i in raw_slots.values() if i.get("bootname") == target), None)
        known = self.deps.state.read()["slots"].get(target, {})
        if info is None or info.get("boot-status") != "good" or not known:
            status = info.get("boot-status") if info else "missing"
            raise ApiError(
                409,
                f"cannot roll back: slot {target} holds no good firmware (boot status {status})",
            )
        try:
            message = self.view.mark("active", "other")
        except RaucError as error:
            raise ApiError(503, f"cannot roll back: {error}") from error
        self.deps.state.update(
            pending={
                "slot": target,
                "version": known.get("version"),
                "from_slot": self.deps.booted_slot,
                "from_version": self.deps.running.version,
                "boot_id": self.deps.boot_id(),
                "kind": "rollback",
            },
            last_rollback={
                "kind": "manual",
                "from_slot": self.deps.booted_slot,
                "from_version": self.deps.running.version,
                "to_slot": target,
                "to_version": known.get("version"),
                "reason": "requested by the admin",
                "at": now_iso(),
            },
        )
        log.info("rollback to slot %s: %s", target, message)
        self._record(
            "update.rollback",
            f"slot {target}",
            {"slot": self.deps.booted_slot, "version": self.deps.running.version},
            {"slot": target, "version": known.get("version")},
        )
        if body.get("reboot"):
            threading.Timer(1.0, self.deps.reboot).start()
        same = known.get("version") == self.deps.running.version
        return {
            "slot": target,
            "version": known.get("version"),
            "message": f"slot {target} (firmware {known.get('version')}"
            + (", the same version as the running one" if same else "")
            + ") boots next"
            + ("; rebooting" if body.get("reboot") else ": reboot to switch"),
        }

    def _record(self, change: str, what: str, before: object, after: object) -> None:
        if self._audit is not None:
            self._audit.append(AuditEntry(change, what, request_user(), before, after))
