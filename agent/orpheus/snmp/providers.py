"""Where ORPHEUS-MIB's values come from: one provider per area, refreshed in the background.

A feature registers a callable for its area ("status", "update", "license", "asterisk",
"ha", "storage"); it returns the area's current values as a mapping (keys: see mib.py), or
raises ProviderAbsent when the area does not run on this unit. An absent or failing area
is left out, so its objects answer noSuchObject rather than a made-up value.

The refresher calls every provider off the request path, at most every few seconds, and
hands the values to listeners (the MIB view, notifications).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

AreaValues = Mapping[str, Any]
Provider = Callable[[], AreaValues]
Listener = Callable[[dict[str, AreaValues]], None]


class ProviderAbsent(LookupError):
    """The area has no source on this unit (its service is not installed or not running)."""


class ProviderRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}

    def register(self, area: str, provider: Provider) -> None:
        self._providers[area] = provider

    def areas(self) -> list[str]:
        return sorted(self._providers)

    def collect(self) -> dict[str, AreaValues]:
        values: dict[str, AreaValues] = {}
        for area, provider in self._providers.items():
            try:
                values[area] = provider()
            except ProviderAbsent:
                continue
            except Exception:  # a broken provider must not take the other areas down
                log.exception("SNMP provider %r failed", area)
        return values


class Refresher:
    """Collects all areas every `interval` seconds in a thread and notifies the listeners."""

    def __init__(self, registry: ProviderRegistry, interval: float) -> None:
        self._registry = registry
        self._interval = interval
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="snmp-refresh", daemon=True)
        self.values: dict[str, AreaValues] = {}
        self.refreshed_at = 0.0

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def refresh(self) -> dict[str, AreaValues]:
        self.values = self._registry.collect()
        self.refreshed_at = time.time()
        for listener in self._listeners:
            try:
                listener(self.values)
            except Exception:
                log.exception("SNMP listener failed")
        return self.values

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self._interval)
