"""What the TLS, SNMP, HA and PBX settings pages show of their API answers, as (label, text)
rows and form values: pure functions of the answer, so the templates stay plain and each is
tested alone."""

from __future__ import annotations

import datetime
import json
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
