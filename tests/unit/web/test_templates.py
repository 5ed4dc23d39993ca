"""The page's templates: every value escaped (no raw output but the layout's own body), and the
firmware page from an update answer, its controls only for a level that may change firmware."""

from __future__ import annotations

import re
from typing import Any

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
    assert "1.1" in read_only


def test_a_unit_without_updates_says_so() -> None:
    page = render("firmware.tpl", title="Firmware", update=Answer(404, {"error": "x"}, {}, None),
                  jobs=_ok([]), can_change=True, **WHO)  # fmt: skip
    assert "not available on this unit" in page and 'id="upload-form"' not in page
