"""The first-run wizard's page: who is led to it, its steps rendered escaped, the SNMP step's
values from GET /api/v1/snmp."""

from __future__ import annotations

from orpheus.web import views
from orpheus.web.feature import STATIC, may_run_wizard, render
from orpheus.web.subrequest import Answer

WHO = {"user": "admin", "level": "administrator", "rights": {}, "csrf": "token", "nav": [],
       "area": "network", "can_change": True, "title": "First-run wizard"}  # fmt: skip
XSS = '"><script>alert(1)</script>'


def test_only_a_level_that_may_change_time_and_snmp_runs_it() -> None:
    assert may_run_wizard({"network": "change", "snmp": "change", "pbx": "none"})
    assert not may_run_wizard({"network": "change", "snmp": "read"})
    assert not may_run_wizard({"network": "read", "snmp": "change"})
    assert not may_run_wizard({})


def test_the_time_step_lists_the_zones_with_the_current_one_selected() -> None:
    time = Answer(200, {"timezone": "Europe/Rome", "ntp_servers": ["a.example", XSS]}, {}, None)
    page = render("wizard.tpl", **WHO, step=2, time=time, zones=["UTC", "Europe/Rome", XSS])
    assert '<option value="Europe/Rome" selected>' in page
    assert '<option value="UTC" >' in page
    assert 'id="wizard-time"' in page and 'data-api-path="/api/v1/time"' in page
    assert "<script>alert(1)" not in page and page.count("&lt;script&gt;alert(1)") == 3
    assert 'id="wizard-snmp"' not in page and 'id="wizard-skip"' in page
    assert '<script src="/static/wizard.js" defer></script>' in page
    assert (STATIC / "wizard.js").is_file()


def test_the_snmp_step_shows_snmp_as_it_is() -> None:
    page = render("wizard.tpl", **WHO, step=3, **views.wizard_snmp(None))
    assert 'value="off" checked' in page and 'value="on" >' in page
    configured = {"settings": {"communities": [{"name": XSS, "sources": ["192.0.2.0/24"]}]}}
    page = render("wizard.tpl", **WHO, step=3, **views.wizard_snmp(configured))
    assert 'value="on" checked' in page and 'value="192.0.2.0/24"' in page
    assert "<script>alert(1)" not in page and 'id="wizard-time"' not in page


def test_the_snmp_steps_values() -> None:
    assert views.wizard_snmp({"settings": {"communities": [], "users": []}}) == {
        "snmp_on": False, "community": "", "source": "",
    }  # fmt: skip
    assert views.wizard_snmp({"settings": {"users": [{"name": "nms"}]}})["snmp_on"] is True
    assert views.wizard_snmp("not an answer")["snmp_on"] is False
