"""/api/v1/storage: the targets (state, size, free, recordings), the default one, and
ejecting a USB drive; the udev monitor as background work.

GET  /api/v1/storage                      {"default", "targets": [...]}
PUT  /api/v1/storage/default              {"target": "usb-<uuid>"}
POST /api/v1/storage/<name>/eject         unmounted: the drive can be pulled
"""

from __future__ import annotations

from collections.abc import Callable

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.storage.hotplug import UdevMonitor
from orpheus.storage.mounts import MountError
from orpheus.storage.registry import NoSuchTarget, StorageTargets, TargetRefused
from orpheus.storage.schemas import (
    DEFAULT_ANSWER,
    DEFAULT_REQUEST,
    EJECT_ANSWER,
    STORAGE,
    TARGET_NAME,
)

Busy = Callable[[str], str | None]  # why a target is in use (a transfer job), or None


def _not_busy(name: str) -> str | None:
    return None


class StorageFeature:
    name = "storage"

    def __init__(self, targets: StorageTargets, monitor: UdevMonitor | None = None) -> None:
        self.targets = targets
        self._monitor = monitor
        self.busy: Busy = _not_busy  # set once the transfers exist (wiring)

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

    def start(self) -> None:
        if self._monitor is not None:
            self._monitor.start()

    def stop(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()

    def list(self) -> dict[str, object]:
        return self.targets.listing()

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
