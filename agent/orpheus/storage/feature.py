"""/api/v1/storage: the targets (state, size, free, recordings), the default one, and
ejecting a USB drive; the udev monitor as background work.

GET  /api/v1/storage                      {"default", "targets": [...]}
PUT  /api/v1/storage/default              {"target": "usb-<uuid>"}
POST /api/v1/storage/<name>/eject         unmounted: the drive can be pulled
POST /api/v1/storage/<name>/check         unmounted, its filesystem checked, mounted again
PUT  /api/v1/storage/<name>/retention     {"max_age_days", "max_bytes"} (null: no limit)
POST /api/v1/storage/nas                  {"name", "kind": nfs|smb, "host", "share", "port"?, ...}
DELETE /api/v1/storage/<name>             a NAS unmounted and forgotten

The retention sweeper (retention.py), the udev monitor and the NAS watch (each NAS's state,
an unreachable one mounted again) run as background work.
"""

from __future__ import annotations

from collections.abc import Callable

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.storage.hotplug import UdevMonitor
from orpheus.storage.mounts import MountError
from orpheus.storage.nas import BadNas
from orpheus.storage.placement import Placement
from orpheus.storage.registry import NoSuchTarget, StorageTargets, TargetRefused
from orpheus.storage.retention import Sweeper
from orpheus.storage.retention_limits import Limits
from orpheus.storage.schemas import (
    CHECK_ANSWER,
    DEFAULT_ANSWER,
    DEFAULT_REQUEST,
    EJECT_ANSWER,
    NAS_ANSWER,
    NAS_REQUEST,
    REMOVE_ANSWER,
    RETENTION_ANSWER,
    RETENTION_REQUEST,
    STORAGE,
    TARGET_NAME,
)

Busy = Callable[[str], str | None]  # why a target is in use (a transfer job), or None


def _not_busy(name: str) -> str | None:
    return None


class StorageFeature:
    name = "storage"

    def __init__(
        self,
        targets: StorageTargets,
        monitor: UdevMonitor | None = None,
        sweeper: Sweeper | None = None,
        nas_watch_seconds: float | None = None,
    ) -> None:
        self.targets = targets
        self._nas_watch = nas_watch_seconds  # None: no NAS watch (tests tick by hand)
        self._monitor = monitor
        self.sweeper = sweeper
        self.busy: Busy = _not_busy  # set once the transfers exist (wiring)
        self.placement: Placement | None = None  # finished recordings to their target (wiring)

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/storage",
            self.list,
            area="storage",
            summary="The storage targets: state, size, free, recordings",
            response=STORAGE,
        )
        api.route(
            "PUT",
            "/api/v1/storage/default",
            self.set_default,
            area="storage",
            summary="The target new recordings go to",
            body=DEFAULT_REQUEST,
            response=DEFAULT_ANSWER,
        )
        api.route(
            "POST",
            "/api/v1/storage/<name>/eject",
            self.eject,
            area="storage",
            params={"name": TARGET_NAME},
            summary="Unmount a USB drive so it can be pulled out",
            response=EJECT_ANSWER,
        )
        api.route(
            "POST",
            "/api/v1/storage/<name>/check",
            self.check,
            area="storage",
            params={"name": TARGET_NAME},
            summary="Check a USB drive's filesystem again: unmounted, checked (errors fixed "
            "when safe), mounted again, read-only if errors are left",
            response=CHECK_ANSWER,
        )
        api.route(
            "PUT",
            "/api/v1/storage/<name>/retention",
            self.set_retention,
            area="storage",
            params={"name": TARGET_NAME},
            summary="A target's retention: the oldest recordings are deleted past an age "
            "(days) or a size (bytes); null: no limit",
            body=RETENTION_REQUEST,
            response=RETENTION_ANSWER,
        )
        api.route(
            "POST",
            "/api/v1/storage/nas",
            self.add_nas,
            area="storage",
            summary="Add a NAS: an NFS v4 export or an SMB share (its password kept only in a "
            "root-only credentials file), mounted soft with bounded timeouts",
            body=NAS_REQUEST,
            response=NAS_ANSWER,
        )
        api.route(
            "DELETE",
            "/api/v1/storage/<name>",
            self.remove,
            area="storage",
            params={"name": TARGET_NAME},
            summary="Remove a NAS (refused while in use or the default target)",
            response=REMOVE_ANSWER,
        )

    def start(self) -> None:
        if self._nas_watch is not None:
            self.targets.start_watch(self._nas_watch)
        if self._monitor is not None:
            self._monitor.start()
        if self.sweeper is not None:
            self.sweeper.start()
        if self.placement is not None:
            self.placement.start()

    def stop(self) -> None:
        if self._nas_watch is not None:
            self.targets.stop_watch()
        if self._monitor is not None:
            self._monitor.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.placement is not None:
            self.placement.stop()

    def list(self) -> dict[str, object]:
        listing = self.targets.listing()
        if self.placement is not None:
            listing["placement"] = self.placement.summary()
        return listing

    def set_default(self) -> dict[str, object]:
        name = str(json_body()["target"])
        try:
            return {"default": self.targets.set_default(name, request_user())}
        except NoSuchTarget as error:
            raise ApiError(404, str(error)) from error
        except TargetRefused as error:
            raise ApiError(409, str(error)) from error

    def eject(self, name: str) -> dict[str, object]:
        try:
            return {"ejected": self.targets.eject(name, request_user(), self.busy)}
        except NoSuchTarget as error:
            raise ApiError(404, str(error)) from error
        except TargetRefused as error:
            raise ApiError(409, str(error)) from error
        except MountError as error:
            raise ApiError(503, str(error)) from error

    def check(self, name: str) -> dict[str, object]:
        try:
            result = self.targets.recheck(name, request_user(), self.busy)
            state = self.targets.get(name).measure()["state"]
        except NoSuchTarget as error:
            raise ApiError(404, str(error)) from error
        except TargetRefused as error:
            raise ApiError(409, str(error)) from error
        except MountError as error:
            raise ApiError(503, str(error)) from error
        return {"target": name, "state": state, "check": result.as_dict()}

    def set_retention(self, name: str) -> dict[str, object]:
        body = json_body()
        try:
            current = self.targets.retention(name)
            limits = Limits(
                body.get("max_age_days", current.max_age_days),
                body.get("max_bytes", current.max_bytes),
            )
            limits = self.targets.set_retention(name, limits, request_user())
        except NoSuchTarget as error:
            raise ApiError(404, str(error)) from error
        if self.sweeper is not None:
            self.sweeper.wake()
        return {"target": name, "retention": limits.as_dict()}

    def add_nas(self) -> dict[str, object]:
        body = json_body()
        try:
            target = self.targets.add_nas(str(body["name"]), body, request_user())
        except BadNas as error:
            raise ApiError(400, str(error)) from error
        except TargetRefused as error:
            raise ApiError(409, str(error)) from error
        retention = self.targets.retention(target.name).as_dict()
        return target.measure() | {"default": False, "retention": retention}

    def remove(self, name: str) -> dict[str, object]:
        try:
            return {"removed": self.targets.remove_nas(name, request_user(), self.busy)}
        except NoSuchTarget as error:
            raise ApiError(404, str(error)) from error
        except TargetRefused as error:
            raise ApiError(409, str(error)) from error
