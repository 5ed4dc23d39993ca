"""The page's templates: every value escaped (no raw output but the layout's own body), and the
firmware page from an update answer, its controls only for a level that may change firmware."""

from __future__ import annotations

import re
from typing import Any

from orpheus.pbx.records import KINDS
from orpheus.web import views
from orpheus.web.feature import STATIC, TEMPLATES, render
from orpheus.web.subrequest import Answer

WHO = {"user": "admin", "level": "administrator", "rights": {}, "csrf": "token", "nav": [],
       "area": "firmware"}  # fmt: skip
XSS = '"><script>alert(1)</script>'


def _ok(body: Any) -> Answer:
    return Answer(200, body, {}, None)


def test_no_template_writes_a_value_unescaped() -> None:
    for template in TEMPLATES.glob("*.tpl"):
        raw = re.findall(r"\{\{!\s*(\w+)", template.read_text())
        assert raw in ([], ["base"]), f"{template.name} writes {raw} unescaped"


def test_no_page_has_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.tpl"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert "<style" not in text and " style=" not in text and " on" + "click" not in text
    assert {path.suffix for path in STATIC.iterdir()} <= {".css", ".js"}


def test_the_firmware_page_shows_both_slots_escaped() -> None:
    update = _ok({"slots": [
        {"bootname": "A", "version": XSS, "booted": True, "primary": True},
        {"bootname": "B", "version": "1.1", "booted": False, "primary": False},
    ]})  # fmt: skip
    page = render("firmware.tpl", title="Firmware", update=update, jobs=_ok([]), can_change=True,
                  **WHO)  # fmt: skip
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'id="upload-form"' in page and 'id="rollback"' in page and "data-confirm=" in page
    read_only = render("firmware.tpl", title="Firmware", update=update, jobs=_ok([]),
                       can_change=False, **WHO)  # fmt: skip
    assert 'id="upload-form"' not in read_only and 'id="rollback"' not in read_only
    assert 'id="url-form"' in page and 'id="url-form"' not in read_only
    assert "1.1" in read_only


def test_the_firmware_page_lists_the_jobs_newest_first_escaped() -> None:
    jobs = _ok([{"id": 1, "kind": "install", "state": "failed", "message": XSS},
                {"id": 2, "kind": "restore", "state": "done"}])  # fmt: skip
    page = render("firmware.tpl", title="Firmware", update=_ok({"slots": []}), jobs=jobs,
                  can_change=False, **WHO)  # fmt: skip
    assert page.index("<td>restore</td>") < page.index("<td>install</td>")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_unit_without_updates_says_so() -> None:
    page = render("firmware.tpl", title="Firmware", update=Answer(404, {"error": "x"}, {}, None),
                  jobs=_ok([]), can_change=True, **WHO)  # fmt: skip
    assert "not available on this unit" in page and 'id="upload-form"' not in page


def _render_new(template: str, can_change: bool, **values: Any) -> str:
    return render(template, title="t", can_change=can_change, **values, **{**WHO, "area": "x"})


def test_the_tls_page_escapes_the_certificate_and_offers_the_form_only_to_change() -> None:
    tls = {"origin": "installed", "installed_by": XSS, "https_port": 443,
           "certificate": {"subject": "CN=" + XSS, "dns_names": [XSS]}}  # fmt: skip
    rows = views.certificate_rows(tls)
    page = _render_new("tls.tpl", True, tls=_ok(tls), rows=rows)
    assert "<script>alert(1)" not in page and page.count("&lt;script&gt;alert(1)") == 3
    assert 'id="tls-form"' in page and 'data-fills="certificate"' in page
    read_only = _render_new("tls.tpl", False, tls=_ok(tls), rows=rows)
    assert 'id="tls-form"' not in read_only and "<textarea" not in read_only


def test_the_snmp_page_escapes_its_settings_in_tables_and_forms() -> None:
    snmp = {"settings": {"contact": XSS, "location": XSS, "communities": [{"name": XSS,
            "sources": [XSS]}], "users": [], "receivers": [{"host": XSS, "port": 162}]},
            "agentx_connected": True, "objects": 1, "areas": []}  # fmt: skip
    values = {"snmp": _ok(snmp), "rows": views.snmp_rows(snmp), "lists": views.snmp_list_json(snmp)}
    page = _render_new("snmp.tpl", True, **values)
    assert "<script>alert(1)" not in page and 'id="snmp-form"' in page
    assert 'id="snmp-lists-form"' in page and 'data-type="json"' in page
    read_only = _render_new("snmp.tpl", False, **values)
    assert "<form" not in read_only and "&lt;script&gt;" in read_only


def test_the_ha_page_offers_join_and_pair_unpaired_and_unpair_with_a_confirmation_paired() -> None:
    status = {"paired": False, "role": "unpaired", "peer": None, "generation": {"local": 1}}
    page = _render_new("ha.tpl", True, status=_ok(status), rows=views.ha_rows(status))
    assert 'id="join-form"' in page and 'id="pair-form"' in page and 'id="unpair"' not in page
    paired = {**status, "paired": True, "role": "master", "peer": XSS}
    page = _render_new("ha.tpl", True, status=_ok(paired), rows=views.ha_rows(paired))
    assert 'id="unpair"' in page and 'data-confirm="Unpair this unit from &quot;&gt;' in page
    assert "<script>alert(1)" not in page and 'id="join-form"' not in page
    read_only = _render_new("ha.tpl", False, status=_ok(paired), rows=views.ha_rows(paired))
    assert "<form" not in read_only and "api-action" not in read_only
    missing = _render_new("ha.tpl", True, status=Answer(404, {"error": "x"}, {}, None), rows=[])
    assert "not available on this unit" in missing and "<form" not in missing


def test_the_recording_settings_are_one_record_edited_in_place() -> None:
    recording = KINDS["recording"]
    listed = _ok([{"enabled": True, "storage": "usb"}])
    page = render("pbx.tpl", title="Recording", kind=recording, listed=listed, can_change=True,
                  editing={"enabled": True, "storage": XSS}, **{**WHO, "area": "pbx"})  # fmt: skip
    assert 'data-api-method="PUT" data-api-path="/api/v1/pbx/recording/recording"' in page
    assert "POST" not in page and "Delete" not in page and "Edit" not in page
    assert 'name="enabled" data-type="bool" checked' in page and "<script>alert(1)" not in page
