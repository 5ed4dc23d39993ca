"""What the TLS, SNMP, HA, PBX settings, network security and diagnostics pages show of their
API answers, as (label, text) rows and form values: pure functions of the answer, so the
templates stay plain and each is tested alone."""

from __future__ import annotations

import datetime
import json
import urllib.parse
from typing import Any

from orpheus.pbx.records import Kind

Rows = list[tuple[str, str]]
SNMP_LISTS = ("communities", "users", "receivers")


def text(value: Any) -> str:
    """A value as the page shows it: yes/no, lists joined, nothing for None."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(text(item) for item in value)
    return "" if value is None else str(value)


def settings_record(kind: Kind, listed: Any) -> dict[str, Any]:
    """A singleton kind's record (the recording settings) from its list as the API answers it,
    or its fields' defaults while none is stored: the form always edits the one record."""
    stored = (
        listed[0] if isinstance(listed, list) and listed and isinstance(listed[0], dict) else {}
    )
    return {field.name: stored.get(field.name, field.default) for field in kind.fields}


def certificate_rows(tls: dict[str, Any]) -> Rows:
    """GET /api/v1/tls: who made the certificate, what it names, until when, its fingerprint."""
    cert = tls.get("certificate") or {}
    origin = tls.get("origin")
    made = "the unit's own (self-signed)" if origin == "unit" else "installed by the customer"
    if origin != "unit" and tls.get("installed_by"):
        made += f" ({tls['installed_by']}, {text(tls.get('installed_at'))})"
    sans = [*(cert.get("dns_names") or []), *(cert.get("ip_addresses") or [])]
    return [
        ("Origin", made),
        ("Subject", text(cert.get("subject"))),
        ("Issuer", text(cert.get("issuer"))),
        ("Subject alternative names", text(sans)),
        ("Not before", text(cert.get("not_before"))),
        ("Not after", text(cert.get("not_after"))),
        ("SHA-256 fingerprint", text(cert.get("fingerprint_sha256"))),
        ("Key type", text(cert.get("key_type"))),
        ("HTTPS port", text(tls.get("https_port"))),
    ]


def snmp_rows(snmp: dict[str, Any]) -> Rows:
    """GET /api/v1/snmp's status and single settings (the lists are tables of their own)."""
    settings = snmp.get("settings") or {}
    return [
        ("Contact", text(settings.get("contact"))),
        ("Location", text(settings.get("location"))),
        ("Storage alarm at (% full)", text(settings.get("storage_full_percent"))),
        ("Licence warning (days before)", text(settings.get("license_warning_days"))),
        ("Connected to snmpd (AgentX)", text(snmp.get("agentx_connected"))),
        ("Objects served", text(snmp.get("objects"))),
        ("Areas", text(snmp.get("areas"))),
    ]


def snmp_list_json(snmp: dict[str, Any]) -> dict[str, str]:
    """Each list setting as the JSON its textarea holds (v3 passwords stay masked: the API
    keeps a stored password when it gets the mask back)."""
    settings = snmp.get("settings") or {}
    return {name: json.dumps(settings.get(name) or [], indent=1) for name in SNMP_LISTS}


def ha_rows(status: dict[str, Any]) -> Rows:
    """GET /api/v1/ha: role, peer, VIP, sync and the last failover."""
    generation = status.get("generation") or {}
    generations = f"{text(generation.get('local'))} / {text(generation.get('peer')) or '-'}"
    failover = status.get("last_failover") or {}
    return [
        ("Paired", text(status.get("paired"))),
        ("Role", f"{text(status.get('role'))} (VRRP {text(status.get('vrrp_state'))})"),
        ("Peer", text(status.get("peer")) or "none"),
        ("Peer reachable", text(status.get("peer_reachable"))),
        ("Peer role", text(status.get("peer_role"))),
        ("Virtual address (VIP)", text(status.get("vip"))),
        ("Interface", text(status.get("interface"))),
        ("Priority", text(status.get("priority"))),
        ("Witness", _witness(status)),
        ("May be Master", text(status.get("may_be_master"))),
        ("Sync lag (s)", text(status.get("sync_lag_seconds"))),
        ("Configuration generation (here / peer)", generations),
        ("Last failover", _failover(failover)),
        ("This unit's fingerprint", text(status.get("node_fingerprint"))),
    ]


def _witness(status: dict[str, Any]) -> str:
    witness = text(status.get("witness"))
    reachable = status.get("witness_reachable")
    if not witness or reachable is None:
        return witness
    return f"{witness} ({'reachable' if reachable else 'unreachable'})"


def _failover(failover: dict[str, Any]) -> str:
    if not failover:
        return "none"
    at = failover.get("time")
    when = (
        datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat(timespec="seconds")
        if isinstance(at, int | float)
        else text(at)
    )
    return f"{when}: became {text(failover.get('role'))} ({text(failover.get('reason'))})"


def wizard_snmp(snmp: Any) -> dict[str, Any]:
    """The wizard's SNMP step from GET /api/v1/snmp: on when snmpd answers anyone already (a
    community or a v3 user), with the first community as the suggested one."""
    settings = (snmp.get("settings") if isinstance(snmp, dict) else None) or {}
    communities = settings.get("communities") or []
    first = communities[0] if communities and isinstance(communities[0], dict) else {}
    sources = first.get("sources") or []
    return {
        "snmp_on": bool(communities or settings.get("users")),
        "community": text(first.get("name")),
        "source": text(sources[0]) if sources else "",
    }


def firewall_services(state: dict[str, Any]) -> list[dict[str, str]]:
    """GET /api/v1/firewall's services, one row each: the list as written ("" for the
    service's default) and the networks it applies to ("" while unrestricted)."""
    rows = []
    for name, service in sorted((state.get("services") or {}).items()):
        allow, networks = service.get("allow"), service.get("networks")
        rows.append(
            {
                "name": str(name),
                "summary": text(service.get("summary")),
                "ports": text(service.get("ports")),
                "allow": "" if allow is None else text(allow),
                # the table tells the default (null) from a list that admits no one ([])
                "written": "default" if allow is None else text(allow) or "no one",
                "networks": "anywhere" if networks is None else text(networks) or "nowhere",
            }
        )
    return rows


def firewall_rows(state: dict[str, Any]) -> Rows:
    """GET /api/v1/firewall's single values: mode, local networks, the pending change."""
    left = seconds_left(state)
    blocking = state.get("blocking") or {}
    waiting = "no" if left is None else f"yes: confirm within {left} s"
    policy = (
        f"{text(blocking.get('failures'))} failures in {text(blocking.get('window_seconds'))} s"
        f": blocked for {text(blocking.get('block_seconds'))} s"
    )
    return [
        ("Mode", text(state.get("mode"))),
        ("Local networks", text(state.get("local")) or "none"),
        ("Trusted (never blocked)", text(state.get("trusted")) or "none"),
        ("HA peer", text(state.get("peer")) or "none"),
        ("Change waiting for confirmation", waiting),
        ("Blocking", policy),
        ("Blocks made", text(blocking.get("blocks_made"))),
        ("Error", text(state.get("error")) or "none"),
    ]


def seconds_left(state: dict[str, Any]) -> int | None:
    """Whole seconds the pending change has before its rollback (None: no change waits);
    rounded down, so the page never promises more time than there is."""
    pending = state.get("pending")
    if not isinstance(pending, dict):
        return None
    return int(float(pending.get("confirm_within_seconds") or 0))


def confirmed_json(state: dict[str, Any]) -> str:
    """The confirmed lists (what a rollback comes back to), as the page prints them."""
    return json.dumps(state.get("confirmed") or {}, indent=1, sort_keys=True)


def blocked_rows(blocked: dict[str, Any]) -> list[tuple[str, str]]:
    """GET /api/v1/firewall/blocked: (address, time left); the API gives no reason."""
    rows = []
    for entry in blocked.get("blocked") or []:
        left = entry.get("expires_in_seconds")
        rows.append((text(entry.get("address")), "no timeout" if left is None else f"{left} s"))
    return rows


def capture_rows(listed: dict[str, Any]) -> list[dict[str, str]]:
    """GET /api/v1/captures, one row each, newest first."""
    captures = sorted(
        listed.get("captures") or [], key=lambda c: c.get("started_at") or 0, reverse=True
    )
    return [
        {
            "id": text(capture.get("id")),
            "filter": _filter_text(capture.get("filter")),
            "state": text(capture.get("state")),
            "started": _time(capture.get("started_at")),
            "duration": f"{text(capture.get('duration_seconds'))} s",
            "size": f"{text(capture.get('size_bytes'))} B of {text(capture.get('max_size_mb'))} MB",
            "message": text(capture.get("message")),
        }
        for capture in captures
    ]


def dialog_rows(capture: dict[str, Any]) -> list[dict[str, str]]:
    """GET /api/v1/captures/<id>'s dialogs, with their ladder's path (the Call-ID quoted:
    it is any printable text)."""
    capture_id = text(capture.get("id"))
    return [
        {
            "call_id": text(dialog.get("call_id")),
            "method": text(dialog.get("method")),
            "from": text(dialog.get("from")),
            "to": text(dialog.get("to")),
            "start": _time(dialog.get("start")),
            "duration": f"{float(dialog.get('duration') or 0):.3f} s",
            "final": text(dialog.get("final_response")) or "none",
            "messages": text(dialog.get("message_count")),
            "ladder": ladder_path(capture_id, text(dialog.get("call_id"))),
        }
        for dialog in capture.get("dialogs") or []
    ]


def ladder_path(capture_id: str, call_id: str) -> str:
    quoted = urllib.parse.quote(call_id, safe="")
    return f"/api/v1/captures/{urllib.parse.quote(capture_id, safe='')}/dialogs/{quoted}/ladder.svg"


def _filter_text(found: Any) -> str:
    if not isinstance(found, dict):
        return ""
    return f"{text(found.get('kind'))} {text(found.get('value'))}".strip()


def _time(at: Any) -> str:
    if not isinstance(at, int | float):
        return text(at)
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat(timespec="seconds")


def size(value: Any) -> str:
    """Bytes as the storage page shows them (binary units, one decimal)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return ""  # not reached


def storage_rows(storage: dict[str, Any]) -> list[dict[str, Any]]:
    """GET /api/v1/storage's targets as the table shows them (each cell a text)."""
    rows = []
    for target in storage.get("targets") or []:
        if not isinstance(target, dict):
            continue
        retention = target.get("retention") or {}
        check = target.get("check") or {}
        rows.append(
            {
                "name": text(target.get("name")),
                "kind": text(target.get("kind")),
                "state": text(target.get("state")),
                "message": text(target.get("message")),
                "fs_type": text(target.get("fs_type")),
                "size": size(target.get("size_bytes")),
                "free": size(target.get("free_bytes")),
                "recordings": f"{text(target.get('recordings'))} "
                f"({size(target.get('recording_bytes'))})",
                "default": target.get("default") is True,
                "max_age_days": text(retention.get("max_age_days")),
                "max_bytes": text(retention.get("max_bytes")),
                "check": f"{text(check.get('result'))} {text(check.get('detail'))}".strip(),
            }
        )
    return rows


def placement_rows(storage: dict[str, Any]) -> Rows:
    """GET /api/v1/storage's placement: what waits on internal for its target."""
    placement = storage.get("placement") or {}
    if not placement:
        return []
    return [
        ("New recordings go to", text(placement.get("destination"))
         or "no target yet: the recording settings' kind is not the default target"),
        ("Waiting on internal", f"{text(placement.get('pending'))} "
         f"({size(placement.get('pending_bytes'))} of {size(placement.get('quota_bytes'))})"),
        ("Waiting for", text(placement.get("waiting"))),
        ("Moving now", text(placement.get("moving"))),
    ]  # fmt: skip


def recording_rows(listed: dict[str, Any]) -> list[dict[str, str]]:
    """GET /api/v1/recordings, newest first, each cell a text."""
    rows = []
    for facts in reversed(listed.get("recordings") or []):
        if not isinstance(facts, dict):
            continue
        seconds = facts.get("duration_seconds")
        rows.append(
            {
                "id": text(facts.get("id")),
                "started": text(facts.get("started")),
                "direction": text(facts.get("direction")),
                "caller": text(facts.get("caller")),
                "called": text(facts.get("called")),
                "duration": f"{seconds:.0f} s" if isinstance(seconds, int | float) else "",
                "trunk": text(facts.get("trunk")),
                "target": text(facts.get("target")),
                "moving_to": text(facts.get("moving_to")),
                "size": size(facts.get("bytes")),
            }
        )
    return rows


JOB_FIELDS = ("id", "kind", "source", "state", "progress", "message")


def transfer_jobs(jobs: Any) -> list[dict[str, str]]:
    """GET /api/v1/jobs' copies and moves of recordings, newest first."""
    if not isinstance(jobs, list):
        return []
    return [
        {name: text(job.get(name)) for name in JOB_FIELDS}
        for job in reversed(jobs)
        if isinstance(job, dict) and job.get("kind") in ("copy", "move")
    ]
