"""Providers that read an area's own API in-process: status, update, licence and HA.

The agent's other features publish their state at GET /api/v1/<area>; reading that (through
the WSGI application, no socket) keeps SNMP equal to what `orpheusctl <area>` prints, and
keeps this package independent of each feature's internals. A route that does not exist
(404: the feature is not part of this agent) makes the area absent.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from orpheus.api.app import LOCAL_ENVIRON_KEY
from orpheus.snmp.providers import AreaValues, ProviderAbsent

WsgiApp = Callable[..., Any]
# MIB resource -> the keys GET /api/v1/license may use for it (limits and usage).
LIMITED_RESOURCES = {
    "calls": ("calls", "concurrent_calls"),
    "users": ("users", "extensions"),
    "trunks": ("trunks",),
    "queues": ("queues",),
}


def read_api(app: WsgiApp, path: str) -> Any:
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        LOCAL_ENVIRON_KEY: True,
    }
    body = b"".join(app(environ, lambda code, _headers, *_: status.append(code)))
    code = int(status[0].split()[0]) if status else 500
    if code == 404:
        raise ProviderAbsent(path)
    if code >= 400:
        raise RuntimeError(f"GET {path}: HTTP {code}")
    return json.loads(body)


def status_values(status: Mapping[str, Any]) -> AreaValues:
    return {key: status.get(key) for key in ("version", "build_date", "booted_slot", "board")}


def _limit(value: Any) -> int | None:
    if value is None or value in ("unlimited", "inf"):
        return -1
    return int(value)


def _first(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[bool, Any]:
    for key in keys:
        if key in mapping:
            return True, mapping[key]
    return False, None


def license_values(lic: Mapping[str, Any]) -> AreaValues:
    limits = lic.get("limits") or {}
    usage = lic.get("usage") or {}
    rows = []
    for index, (name, keys) in enumerate(LIMITED_RESOURCES.items(), start=1):
        present, limit = _first(limits, keys)
        if present:
            used = _first(usage, keys)[1]
            rows.append({"index": index, "resource": name, "limit": _limit(limit), "usage": used})
    add_ons = lic.get("add_ons", lic.get("addons", lic.get("add-ons"))) or []
    return {
        "tier": lic.get("tier"),
        "add_ons": ", ".join(map(str, add_ons)) if isinstance(add_ons, list) else add_ons,
        "support_days_left": lic.get("update_support_days_left"),
        "limits": rows,
    }


def _slots(update: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    slots = update.get("slots") or []
    if isinstance(slots, Mapping):
        return [{"name": name, **slot} for name, slot in slots.items()]
    return list(slots)


def update_values(update: Mapping[str, Any]) -> AreaValues:
    other = next((slot for slot in _slots(update) if not slot.get("booted")), {})
    last = update.get("last_install") or update.get("last_result") or {}
    if not isinstance(last, Mapping):
        last = {"result": last}
    return {
        "other_version": other.get("version"),
        "other_state": other.get("state"),
        "last_result": last.get("result") or last.get("status"),
        "last_time": last.get("time") or last.get("finished_at") or last.get("at"),
    }


def ha_values(ha: Mapping[str, Any]) -> AreaValues:
    return {
        "role": ha.get("role"),
        "peer_reachable": ha.get("peer_reachable"),
        "last_failover": ha.get("last_failover") or "",
        "sync_lag_seconds": ha.get("sync_lag_seconds"),
    }


# area -> (API path, mapping of its JSON to the area's values)
API_AREAS: dict[str, tuple[str, Callable[[Mapping[str, Any]], AreaValues]]] = {
    "status": ("/api/v1/status", status_values),
    "update": ("/api/v1/update", update_values),
    "license": ("/api/v1/license", license_values),
    "ha": ("/api/v1/ha", ha_values),
}


def serial_number(app: WsgiApp) -> str | None:
    """The unit's serial from its factory identity (GET /api/v1/identity), if it has one."""
    try:
        identity = read_api(app, "/api/v1/identity").get("identity") or {}
    except ProviderAbsent:
        return None
    return identity.get("serial")


def api_provider(app: WsgiApp, area: str) -> Callable[[], AreaValues]:
    path, convert = API_AREAS[area]
    if area == "status":  # the serial lives with the identity, not in the status
        return lambda: {**convert(read_api(app, path)), "serial": serial_number(app)}
    return lambda: convert(read_api(app, path))
