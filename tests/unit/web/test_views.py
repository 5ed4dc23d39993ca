"""The TLS, SNMP and HA pages' rows from their API answers (web/views.py)."""

from __future__ import annotations

import json

from orpheus.pbx.records import KINDS
from orpheus.web import views

CERT = {
    "fingerprint_sha256": "AB:CD",
    "subject": "CN=ORP-1",
    "issuer": "CN=ORP-1",
    "not_before": "2026-01-01T00:00:00+00:00",
    "not_after": "2126-01-01T00:00:00+00:00",
    "dns_names": ["ORP-1", "orpheus"],
    "ip_addresses": ["192.0.2.7"],
    "key_type": "ECDSA P-256",
}


def test_the_units_own_certificate_shows_its_names_dates_and_fingerprint() -> None:
    rows = dict(views.certificate_rows({"origin": "unit", "https_port": 443, "certificate": CERT}))
    assert rows["Origin"] == "the unit's own (self-signed)"
    assert rows["Subject alternative names"] == "ORP-1, orpheus, 192.0.2.7"
    assert rows["Not after"] == CERT["not_after"] and rows["SHA-256 fingerprint"] == "AB:CD"
    assert rows["Key type"] == "ECDSA P-256" and rows["HTTPS port"] == "443"


def test_an_installed_certificate_says_who_installed_it_and_none_shows_empty() -> None:
    answer = {"origin": "installed", "installed_by": "admin", "installed_at": "2026-12-03",
              "https_port": 443, "certificate": CERT}  # fmt: skip
    assert dict(views.certificate_rows(answer))["Origin"] == (
        "installed by the customer (admin, 2026-12-03)"
    )
    empty = dict(views.certificate_rows({"origin": "unit", "certificate": None}))
    assert empty["Subject"] == "" and empty["Subject alternative names"] == ""


def test_snmp_rows_and_the_lists_as_json_keep_the_mask() -> None:
    settings = {
        "contact": "ops", "location": "", "storage_full_percent": 90, "license_warning_days": 30,
        "communities": [{"name": "public", "sources": ["10.0.0.0/8"]}],
        "users": [{"name": "nms", "auth_password": "********", "priv_password": "********"}],
        "receivers": [],
    }  # fmt: skip
    answer = {"settings": settings, "agentx_connected": False, "objects": 0, "areas": ["ha", "pbx"]}
    rows = dict(views.snmp_rows(answer))
    assert rows["Contact"] == "ops" and rows["Connected to snmpd (AgentX)"] == "no"
    assert rows["Areas"] == "ha, pbx" and rows["Storage alarm at (% full)"] == "90"
    lists = views.snmp_list_json(answer)
    assert json.loads(lists["communities"]) == settings["communities"]
    assert json.loads(lists["users"])[0]["auth_password"] == "********"
    assert lists["receivers"] == "[]"
    assert views.snmp_list_json({}) == dict.fromkeys(views.SNMP_LISTS, "[]")


def test_ha_rows_of_an_unpaired_and_of_a_paired_unit() -> None:
    unpaired = {"paired": False, "role": "unpaired", "vrrp_state": "UNPAIRED", "peer": None,
                "peer_reachable": False, "generation": {"local": 3, "peer": None},
                "last_failover": None, "may_be_master": "ok"}  # fmt: skip
    rows = dict(views.ha_rows(unpaired))
    assert rows["Paired"] == "no" and rows["Role"] == "unpaired (VRRP UNPAIRED)"
    assert rows["Peer"] == "none" and rows["Last failover"] == "none"
    assert rows["Configuration generation (here / peer)"] == "3 / -"
    paired = {**unpaired, "paired": True, "role": "master", "peer": "192.0.2.2",
              "vip": "192.0.2.10/24", "witness": "192.0.2.1", "witness_reachable": True,
              "generation": {"local": 4, "peer": 4},
              "last_failover": {"time": 0, "reason": "peer lost", "role": "master"}}  # fmt: skip
    rows = dict(views.ha_rows(paired))
    assert rows["Peer"] == "192.0.2.2" and rows["Virtual address (VIP)"] == "192.0.2.10/24"
    assert rows["Witness"] == "192.0.2.1 (reachable)"
    assert rows["Last failover"] == "1970-01-01T00:00:00+00:00: became master (peer lost)"
    assert rows["Configuration generation (here / peer)"] == "4 / 4"


def test_text_of_each_kind_of_value() -> None:
    values = (True, False, None, [1, "a"], 5)
    assert [views.text(v) for v in values] == ["yes", "no", "", "1, a", "5"]


def test_the_recording_settings_record_is_the_stored_one_or_the_defaults() -> None:
    recording = KINDS["recording"]
    assert views.settings_record(recording, []) == {"enabled": False, "storage": "internal"}
    assert views.settings_record(recording, None) == {"enabled": False, "storage": "internal"}
    stored = [{"enabled": True, "storage": "usb"}]
    assert views.settings_record(recording, stored) == {"enabled": True, "storage": "usb"}
    assert views.settings_record(recording, [{"enabled": True}])["storage"] == "internal"


def test_storage_rows_show_sizes_state_and_the_default() -> None:
    storage = {
        "default": "internal",
        "targets": [
            {"name": "internal", "kind": "internal", "state": "mounted", "size_bytes": 2**30,
             "free_bytes": 512 * 2**20, "recordings": 3, "recording_bytes": 1536,
             "default": True, "retention": {"max_age_days": 30, "max_bytes": None}},
            {"name": "nas-office", "kind": "nas", "state": "unreachable", "message": "no route",
             "size_bytes": None, "free_bytes": None, "recordings": 0, "recording_bytes": 0,
             "check": {"result": "clean", "detail": "", "at": "x"}},
            "not a target",
        ],
        "placement": {"destination": "nas-office", "pending": 2, "pending_bytes": 2048,
                      "quota_bytes": 4 * 2**30, "waiting": "nas-office", "moving": None},
    }  # fmt: skip
    internal, nas = views.storage_rows(storage)
    assert (internal["size"], internal["free"], internal["recordings"]) == (
        "1.0 GiB", "512.0 MiB", "3 (1.5 KiB)",
    )  # fmt: skip
    assert internal["default"] and (internal["max_age_days"], internal["max_bytes"]) == ("30", "")
    assert (nas["state"], nas["message"], nas["size"], nas["check"]) == (
        "unreachable", "no route", "", "clean",
    )  # fmt: skip
    assert dict(views.placement_rows(storage))["Waiting on internal"] == "2 (2.0 KiB of 4.0 GiB)"
    assert views.placement_rows({}) == []


def test_recording_rows_are_newest_first_and_transfer_jobs_only_copies_and_moves() -> None:
    listed = {
        "recordings": [
            {"id": "1.1", "started": "a", "direction": "inbound", "duration_seconds": 12.4,
             "bytes": 100, "target": "internal", "trunk": "carrier"},
            {"id": "2.2", "started": "b", "direction": "internal", "duration_seconds": 3,
             "target": "internal", "moving_to": "usb-1"},
        ]
    }  # fmt: skip
    rows = views.recording_rows(listed)
    assert [r["id"] for r in rows] == ["2.2", "1.1"]
    assert (rows[1]["duration"], rows[1]["size"], rows[1]["trunk"]) == ("12 s", "100 B", "carrier")
    assert rows[0]["moving_to"] == "usb-1" and rows[0]["caller"] == ""
    jobs = [{"id": 1, "kind": "install"}, {"id": 2, "kind": "move", "state": "running",
            "progress": 40, "source": "internal -> usb-1", "message": ""}]  # fmt: skip
    assert [j["id"] for j in views.transfer_jobs(jobs)] == ["2"]
    assert views.transfer_jobs(None) == []
