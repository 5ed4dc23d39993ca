"""udev's block events (pyudev's netlink monitor) fed to the storage registry: the volumes
already plugged in when the agent starts, then each add and remove as it comes.

Kept thin on purpose: all it does is hand each device's properties, as plain strings, to
StorageTargets (registry.py), which the unit tests drive with recorded property dicts.
pyudev is imported here only: a host without it (a development machine) runs the agent with
internal storage alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from orpheus.storage.registry import StorageTargets

log = logging.getLogger(__name__)

Handler = Callable[[str, Mapping[str, str]], None]


def dispatch(targets: StorageTargets) -> Handler:
    """What to do with one udev event: (action, properties)."""

    def handle(action: str, properties: Mapping[str, str]) -> None:
        try:
            if action in ("add", "change"):
                targets.device_added(properties)
            elif action == "remove":
                targets.device_removed(properties)
        except Exception:  # a drive must never stop the monitor: logged, the next one comes
            log.exception("USB %s event for %s failed", action, properties.get("DEVNAME"))

    return handle


class UdevMonitor:
    def __init__(self, targets: StorageTargets) -> None:
        self._handle = dispatch(targets)
        self._observer: Any = None

    def start(self) -> None:
        try:
            import pyudev  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            log.warning("pyudev is missing: USB drives are not seen (internal storage only)")
            return
        try:
            context = pyudev.Context()
            for device in context.list_devices(subsystem="block", ID_BUS="usb"):
                self._handle("add", _strings(device.properties))
            monitor = pyudev.Monitor.from_netlink(context)
            monitor.filter_by("block")
            self._observer = pyudev.MonitorObserver(
                monitor,
                callback=lambda device: self._handle(
                    str(device.action), _strings(device.properties)
                ),
                name="usb-storage",
            )
            self._observer.start()
        except OSError as error:  # no netlink socket (a container): no hot-plug
            log.error("cannot watch udev for USB drives: %s", error)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()


def _strings(properties: Mapping[Any, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in properties.items()}
