"""The admin page in a real browser against a real Mini unit: log-in and the forced password
change, the dashboard against GET /api/v1/status, extensions (the 13th refused inline), CSV
import, balancers and the recording settings, the storage page (retention, a NAS refused
beside its field), a recorded call listed, played with the privacy password (refused
without it) and deleted, the TLS, SNMP and HA pages against their API answers, XSS payloads
shown as text, limited levels, and CSRF."""

from __future__ import annotations

import contextlib
import datetime
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from orpheus.web import views
from testbed.admin_page import error_beside, fetch, fill, log_in, no_alert, shot, wait
from testbed.audio import played_samples, write_wav
from testbed.pbx_unit import HTTPS_PORT, PASSWORD, Unit, add_extension, register_phone
from testbed.polling import wait_for
from testbed.sipp import Sipp
from tests.api.conftest import local_request

pytestmark = pytest.mark.rootfs

BASE = f"https://127.0.0.1:{HTTPS_PORT}"  # the page is on HTTPS only
ADMIN_PASSWORD = "Quiet-Lantern-Orbit-7319"
XSS = ('<script>alert("x")</script>', '"><img src=x onerror=alert(1)>')
OFFICER_PASSWORD = "web officer's privacy password"
PLAYED_SECONDS = 3


# Stored as the SNMP contact: its pattern refuses quotes, so these carry none.
SNMP_XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def initial_password(unit: Unit) -> str:
    found = next(Path(unit.agent.data_dir).rglob("initial-admin-password"))
    return found.read_text().strip()


def test_log_in_with_the_initial_password_is_forced_to_change_it(
    browser: WebDriver, mini_unit: Unit
) -> None:
    browser.get(f"{BASE}/dashboard")
    wait(browser, lambda d: d.current_url.endswith("/login"))
    shot(browser, "login")
    fill(browser, "login", {"name": "admin", "password": "not-the-password"})
    assert "wrong user name or password" in error_beside(browser, "login", "_form")

    first = initial_password(mini_unit)
    log_in(browser, BASE, "admin", first)
    wait(browser, lambda d: d.current_url.endswith("/password"))
    browser.get(f"{BASE}/dashboard")  # every page sends it back until the password changes
    assert browser.current_url.endswith("/password")
    shot(browser, "password")
    fill(browser, "password", {"current_password": first, "password": "short"})
    assert error_beside(browser, "password", "_form") or error_beside(
        browser, "password", "password"
    )
    fill(browser, "password", {"current_password": first, "password": ADMIN_PASSWORD})
    # a fresh unit's administrator goes on to the first-run wizard (the next test)
    wait(browser, lambda d: d.current_url.endswith("/wizard"))
    assert browser.find_element(By.ID, "logout").is_displayed()


def test_the_administrator_is_then_led_through_the_first_run_wizard(
    browser: WebDriver, mini_unit: Unit
) -> None:
    assert browser.current_url.endswith("/wizard")
    assert local_request(mini_unit, "GET", "/api/v1/setup")[1] == {"completed": False}
    steps = browser.find_element(By.ID, "wizard-steps")
    done = steps.find_element(By.CSS_SELECTOR, 'li[data-step="1"]')
    assert done.get_attribute("class") == "done" and "password" in done.text.lower()
    zone = Select(browser.find_element(By.CSS_SELECTOR, '#wizard-time [name="timezone"]'))
    assert zone.first_selected_option.get_attribute("value") == "UTC"  # the unit's default
    _, zones = local_request(mini_unit, "GET", "/api/v1/time/zones")
    assert [option.get_attribute("value") for option in zone.options] == zones["zones"]
    shot(browser, "wizard-time")
    fill(browser, "wizard-time", {"ntp_servers": "ntp.example.org #FallbackNTP=evil"})
    assert "host name" in _any_error(browser, "wizard-time")
    assert browser.current_url.endswith("/wizard")
    zone.select_by_value("Europe/Rome")
    fill(browser, "wizard-time", {"ntp_servers": "ntp1.example.org, 192.0.2.123"})
    wait(browser, lambda d: d.current_url.endswith("/wizard?step=3"))
    _, time = local_request(mini_unit, "GET", "/api/v1/time")
    assert time["timezone"] == "Europe/Rome"
    assert time["ntp_servers"] == ["ntp1.example.org", "192.0.2.123"]

    assert browser.find_element(By.CSS_SELECTOR, '#wizard-snmp [value="off"]').is_selected()
    browser.find_element(By.CSS_SELECTOR, '#wizard-snmp [value="on"]').click()
    fill(browser, "wizard-snmp", {"community": "bad community!", "source": "192.0.2.0/24"})
    assert "communit" in _any_error(browser, "wizard-snmp")
    assert local_request(mini_unit, "GET", "/api/v1/setup")[1] == {"completed": False}
    shot(browser, "wizard-snmp")
    fill(browser, "wizard-snmp", {"community": "wizard", "source": "192.0.2.0/24"})
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    _, snmp = local_request(mini_unit, "GET", "/api/v1/snmp")
    assert snmp["settings"]["communities"] == [{"name": "wizard", "sources": ["192.0.2.0/24"]}]
    _, setup = local_request(mini_unit, "GET", "/api/v1/setup")
    assert setup["completed"] is True and setup["outcome"] == "finished"
    assert setup["by"] == "admin"


def _any_error(browser: WebDriver, form: str) -> str:
    """The text of whichever error span of the form the API's refusal landed in."""
    spans = f"#{form} .error"
    found = wait(browser, lambda d: [s.text for s in d.find_elements(By.CSS_SELECTOR, spans)
                                     if s.text])  # fmt: skip
    return " ".join(found)


def test_the_wizard_is_not_shown_at_the_next_log_in(browser: WebDriver, mini_unit: Unit) -> None:
    log_in(browser, BASE, "admin", ADMIN_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    # run again by its address, it shows the settings as they are; SNMP off empties its lists
    browser.get(f"{BASE}/wizard?step=3")
    assert browser.find_element(By.CSS_SELECTOR, '#wizard-snmp [value="on"]').is_selected()
    browser.find_element(By.CSS_SELECTOR, '#wizard-snmp [value="off"]').click()
    browser.find_element(By.CSS_SELECTOR, '#wizard-snmp button[type="submit"]').click()
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    _, snmp = local_request(mini_unit, "GET", "/api/v1/snmp")
    assert snmp["settings"]["communities"] == [] and snmp["settings"]["users"] == []
    _, time = local_request(mini_unit, "GET", "/api/v1/time")
    assert time["timezone"] == "Europe/Rome"  # step 3 alone changes no time setting
    log_in(browser, BASE, "admin", ADMIN_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))


def test_the_wizard_may_be_skipped(browser: WebDriver, mini_unit: Unit) -> None:
    """Its record removed (as on a unit that never ran it), the next log-in leads to it."""
    (mini_unit.agent.data_dir / "orpheus/setup.json").unlink()
    log_in(browser, BASE, "admin", ADMIN_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/wizard"))
    browser.find_element(By.ID, "wizard-skip").click()
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    _, setup = local_request(mini_unit, "GET", "/api/v1/setup")
    assert setup["completed"] is True and setup["outcome"] == "skipped"
    _, time = local_request(mini_unit, "GET", "/api/v1/time")
    assert time["timezone"] == "Europe/Rome"
    log_in(browser, BASE, "admin", ADMIN_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))


def test_the_dashboard_shows_what_the_status_says(browser: WebDriver, mini_unit: Unit) -> None:
    _, status = local_request(mini_unit, "GET", "/api/v1/status")
    browser.get(f"{BASE}/dashboard")
    shot(browser, "dashboard")

    def shown(key: str) -> str:
        return str(browser.find_element(By.ID, f"value-{key}").text)

    assert shown("version") == status["version"]
    assert shown("board") == status["board"] == "mini"
    assert shown("weak_passwords") == str(status["weak_passwords"])
    assert shown("calls") == "0 of 10"
    assert status["registered"] == {"phones": 0, "trunks": 0, "trunks_configured": 0}
    assert shown("registered") == "0 phones; 0 of 0 trunks"
    alarms = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#alarms li")]
    assert alarms == status["alarms"]
    hours, minutes, seconds = (int(part) for part in shown("uptime").split()[-1].split(":"))
    assert hours * 3600 + minutes * 60 + seconds >= int(status["uptime_seconds"])
    assert len(shown("load").split()) == 3 and "free of" in shown("storage")
    # The refresh replaces the values from GET /dashboard/values
    browser.execute_script("document.getElementById('value-board').textContent = 'stale'")
    wait(browser, lambda d: d.find_element(By.ID, "value-board").text == "mini", timeout=15)


def test_extensions_are_added_and_the_13th_on_a_mini_is_refused_beside_the_field(
    browser: WebDriver, mini_unit: Unit
) -> None:
    browser.get(f"{BASE}/pbx/extension")
    fill(browser, "record-form", {"number": "201", "name": "Reception", "password": PASSWORD})
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="201"]'))
    records = [{"number": str(202 + i), "password": PASSWORD} for i in range(11)]
    status, _ = local_request(mini_unit, "POST", "/api/v1/pbx/extension",
                              json.dumps({"records": records}).encode())  # fmt: skip
    assert status == 201 or status == 200, status
    browser.get(f"{BASE}/pbx/extension")
    fill(browser, "record-form", {"number": "299", "password": PASSWORD})
    refusal = error_beside(browser, "record-form", "number")
    shot(browser, "extensions")
    assert "12" in refusal and "lite" in refusal.lower(), refusal
    assert not browser.find_elements(By.CSS_SELECTOR, 'tr[data-key="299"]')


def test_an_xss_payload_in_every_text_field_is_shown_as_text(browser: WebDriver) -> None:
    for payload in XSS:
        browser.get(f"{BASE}/pbx/extension?edit=201")
        fill(browser, "record-form", {"name": payload})
        error = error_beside(browser, "record-form", "name")
        assert ("<script>" in error or "<img src=x" in error) and no_alert(browser)
        browser.get(f"{BASE}/pbx/trunk")
        fields = ("name", "host", "username", "password", "codecs", "prefix", "inbound")
        fill(browser, "record-form", dict.fromkeys(fields, payload))
        # the API names the first bad field; its error shows the value, as text
        marker = "<script>" if "<script>" in payload else "<img src=x"
        wait(browser, lambda d, m=marker: m in d.find_element(By.ID, "record-form").text)
        assert no_alert(browser)
        # reflected by the server: the audit filters and an edited key
        browser.get(f"{BASE}/audit?user={payload}&change={payload}")
        assert browser.find_element(By.NAME, "user").get_attribute("value") == payload
        browser.get(f"{BASE}/pbx/extension?edit={payload}")
        assert no_alert(browser)
        assert not browser.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
        assert not browser.find_elements(By.XPATH, "//script[not(@src)]")
    # a stored value that the API lets through is escaped on the list
    browser.get(f"{BASE}/pbx/extension?edit=202")
    fill(browser, "record-form", {"name": "Tom & Jerry's"})
    wait(browser, lambda d: d.current_url.endswith("/pbx/extension"))
    assert "Tom & Jerry's" in browser.find_element(By.ID, "records").text


def test_a_csv_with_malformed_rows_reports_each_refused_row(
    browser: WebDriver, mini_unit: Unit, tmp_path: Path
) -> None:
    # room for one more under the Mini's 12
    assert local_request(mini_unit, "DELETE", "/api/v1/pbx/extension/210")[0] == 200
    csv = tmp_path / "extensions.csv"
    csv.write_text(
        "number,name,password\n"
        f"250,Good one,{PASSWORD}\n"
        "251,too,many,cells\n"
        f"abc,Bad number,{PASSWORD}\n"
        ",No number,x\n"
        f"252,Over the limit,{PASSWORD}\n"
    )
    browser.get(f"{BASE}/pbx/extension")
    browser.find_element(By.CSS_SELECTOR, '#import-form input[type="file"]').send_keys(str(csv))
    browser.find_element(By.CSS_SELECTOR, '#import-form button[type="submit"]').click()
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#import-report tr"))
    shot(browser, "import")
    texts = [row.text for row in rows]
    assert len(texts) == 5, texts
    assert "added" in texts[0] and texts[0].startswith("line 2")
    assert all("refused" in text for text in texts[1:]), texts
    assert "4 cells" in texts[1] and "number is empty" in texts[3]
    assert "12" in texts[4] and "lite" in texts[4].lower(), texts[4]  # the licence's reason
    _, listed = local_request(mini_unit, "GET", "/api/v1/pbx/extension")
    numbers = {record["number"] for record in listed}
    assert "250" in numbers and "252" not in numbers and "abc" not in numbers


def test_every_page_of_the_administrator_renders(browser: WebDriver) -> None:
    for path, name in (("/firmware", "firmware"), ("/licence", "licence"),
                       ("/users", "users"), ("/audit", "audit"), ("/pbx/trunk", "trunks"),
                       ("/pbx/queue", "queues"), ("/pbx/ivr", "ivr")):  # fmt: skip
        browser.get(f"{BASE}{path}")
        assert browser.find_element(By.TAG_NAME, "h1").text
        shot(browser, name)
    browser.get(f"{BASE}/audit?change=extension.")
    audit = browser.find_element(By.ID, "audit").text
    assert "extension.create" in audit and "user.create" not in audit
    exported = browser.execute_async_script(
        "fetch(arguments[0]).then((r) => r.text()).then(arguments[1])",
        "/audit/export.csv?change=extension.",
    )
    lines = exported.splitlines()
    assert lines[0] == "time,user,change,object,before,after" and len(lines) > 1
    assert all(",extension." in line for line in lines[1:]), lines


def test_recording_and_balancers_are_refused_on_a_mini_beside_the_form(
    browser: WebDriver, mini_unit: Unit
) -> None:
    _, stored = local_request(mini_unit, "GET", "/api/v1/pbx/recording")
    browser.get(f"{BASE}/pbx/recording")  # no record yet: the form shows the defaults
    assert stored == [] and not browser.find_elements(By.CSS_SELECTOR, "#records tbody tr")
    form = browser.find_element(By.ID, "record-form")
    assert not form.find_element(By.NAME, "enabled").is_selected()
    assert form.find_element(By.NAME, "storage").get_attribute("value") == "internal"
    form.find_element(By.NAME, "enabled").click()
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    refusal = error_beside(browser, "record-form", "_form")
    shot(browser, "recording-refused")
    assert "call recording is not included in the Mini tier" in refusal, refusal
    assert local_request(mini_unit, "GET", "/api/v1/pbx/recording")[1] == []

    browser.get(f"{BASE}/pbx/balancer")
    fill(browser, "record-form", {"name": "out", "trunks": "carrier", "prefix": "9"})
    refusal = error_beside(browser, "record-form", "name")  # the form's default place
    assert "balancer" in refusal and "Mini tier" in refusal, refusal
    assert local_request(mini_unit, "GET", "/api/v1/pbx/balancer")[1] == []


def test_a_licence_installed_on_the_page_lifts_the_mini_limit(
    browser: WebDriver, mini_unit: Unit, tmp_path: Path
) -> None:
    browser.get(f"{BASE}/licence")
    upload = '#licence-form input[type="file"]'
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    browser.find_element(By.CSS_SELECTOR, upload).send_keys(str(broken))
    browser.find_element(By.CSS_SELECTOR, '#licence-form button[type="submit"]').click()
    assert "not JSON" in error_beside(browser, "licence-form", "_form")
    lite = tmp_path / "lite.json"
    lite.write_text(json.dumps(mini_unit.vendor.licence(mini_unit.serial, "lite")))
    browser.find_element(By.CSS_SELECTOR, upload).clear()
    browser.find_element(By.CSS_SELECTOR, upload).send_keys(str(lite))
    browser.find_element(By.CSS_SELECTOR, '#licence-form button[type="submit"]').click()
    wait(browser, lambda d: d.find_element(By.ID, "tier").text == "Lite")
    shot(browser, "licence-lite")
    browser.get(f"{BASE}/pbx/extension")  # the 13th goes in now
    fill(browser, "record-form", {"number": "299", "password": PASSWORD})
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="299"]'))


def test_trunks_and_queues_are_added_with_their_numbers_and_lists(
    browser: WebDriver, mini_unit: Unit
) -> None:
    """On the Lite the licence made: the form's port is a number, codecs and members lists."""
    browser.get(f"{BASE}/pbx/trunk")
    fill(
        browser,
        "record-form",
        {
            "name": "carrier",
            "host": "192.0.2.10",
            "port": "5080",
            "codecs": "alaw, g722",
            "password": "Trunk-pass-8812",
        },
    )
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="carrier"]'))
    _, trunk = local_request(mini_unit, "GET", "/api/v1/pbx/trunk/carrier")
    assert trunk["port"] == 5080 and trunk["codecs"] == ["alaw", "g722"]
    browser.get(f"{BASE}/pbx/queue")
    fill(browser, "record-form", {"name": "sales", "number": "600", "members": "201, 203"})
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="sales"]'))
    assert "201, 203" in row[0].text
    shot(browser, "queues-added")


def test_a_balancer_and_the_recording_settings_are_saved_on_the_lite(
    browser: WebDriver, mini_unit: Unit
) -> None:
    browser.get(f"{BASE}/pbx/balancer")
    for payload in XSS:  # refused by the API, its error shows the value as text
        fill(browser, "record-form", {"name": payload, "trunks": "carrier", "prefix": "9"})
        marker = "<script>" if "<script>" in payload else "<img src=x"
        wait(browser, lambda d, m=marker: m in d.find_element(By.ID, "record-form").text)
        assert no_alert(browser) and not browser.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
    fill(browser, "record-form", {"name": "out", "trunks": "nowhere", "prefix": "9"})
    assert "no trunk 'nowhere'" in error_beside(browser, "record-form", "name")
    fill(browser, "record-form", {"name": "out", "trunks": "carrier", "prefix": "9"})
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="out"]'))
    _, balancer = local_request(mini_unit, "GET", "/api/v1/pbx/balancer/out")
    assert balancer["trunks"] == ["carrier"] and balancer["strategy"] == "failover"
    assert [cell.text for cell in row[0].find_elements(By.TAG_NAME, "td")][:4] == [
        "out", "carrier", "9", "failover"
    ]  # fmt: skip
    shot(browser, "balancers")

    browser.get(f"{BASE}/pbx/recording")
    form = browser.find_element(By.ID, "record-form")
    form.find_element(By.NAME, "enabled").click()
    fill(browser, "record-form", {"storage": "usb"})
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#records tbody tr"))
    _, recording = local_request(mini_unit, "GET", "/api/v1/pbx/recording")
    assert recording == [{"enabled": True, "storage": "usb"}], recording
    assert browser.find_element(By.CSS_SELECTOR, "#records tbody tr").text == "yes usb"
    assert browser.find_element(By.CSS_SELECTOR, '#record-form [name="enabled"]').is_selected()
    shot(browser, "recording")


def test_the_storage_page_shows_the_targets_and_changes_retention_and_refuses_a_bad_nas(
    browser: WebDriver, mini_unit: Unit
) -> None:
    _, storage = local_request(mini_unit, "GET", "/api/v1/storage")
    browser.get(f"{BASE}/storage")
    shot(browser, "storage")
    internal = browser.find_element(By.CSS_SELECTOR, '#targets tr[data-key="internal"]')
    cells = [cell.text for cell in internal.find_elements(By.TAG_NAME, "td")]
    listed = next(t for t in storage["targets"] if t["name"] == "internal")
    assert cells[:3] == ["internal", "internal", listed["state"]]
    assert cells[6].startswith(str(listed["recordings"])) and cells[7] == "yes"
    fill(browser, "nas-form", {"name": "nas-office", "host": "bad host;", "share": "/srv/rec"})
    assert "hostname" in error_beside(browser, "nas-form", "host")
    assert [t["name"] for t in local_request(mini_unit, "GET", "/api/v1/storage")[1]["targets"]
            if t["kind"] == "nas"] == []  # fmt: skip
    fill(browser, "retention-internal", {"max_age_days": "0"})
    assert "minimum of 1" in error_beside(browser, "retention-internal", "max_age_days")
    fill(browser, "retention-internal", {"max_age_days": "30"})
    wait(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, '#retention-internal [name="max_age_days"]').get_attribute("value") == "30"
    )  # fmt: skip
    _, storage = local_request(mini_unit, "GET", "/api/v1/storage")
    internal_now = next(t for t in storage["targets"] if t["name"] == "internal")
    assert internal_now["retention"] == {"max_age_days": 30, "max_bytes": None}


def test_a_recorded_call_is_listed_played_with_the_privacy_password_and_deleted(
    browser: WebDriver, mini_unit: Unit
) -> None:
    """After the recording settings test: recording is on (its target the absent USB drive,
    so the recording waits on internal)."""
    state: Any = mini_unit.agent.ctl_json("privacy", "show", "--json")
    if not state["password_set"]:
        answer = mini_unit.agent.ctl_input(f"{OFFICER_PASSWORD}\n", "privacy", "set-password",
                                           "--stdin")  # fmt: skip
        assert answer.returncode == 0, answer.stderr
    write_wav(mini_unit.sandbox.root / "tmp/orpheus-played.wav", played_samples(PLAYED_SECONDS))
    phone = register_phone(mini_unit, "201", 5090, 31900)
    try:
        mini_unit.cli("channel originate Local/201@orpheus-targets/n application Playback "
                      "/tmp/orpheus-played")  # fmt: skip

        def recorded() -> list[dict[str, Any]]:
            listed = local_request(mini_unit, "GET", "/api/v1/recordings")[1]["recordings"]
            return [r for r in listed if r.get("called") == "201"]

        (recording,) = wait_for("the recording listed", recorded, timeout=90, interval=0.5)
    finally:
        phone.stop()
    key = recording["id"]
    browser.get(f"{BASE}/recordings")
    row = browser.find_element(By.CSS_SELECTOR, f'#recordings tr[data-key="{key}"]')
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert (cells[1], cells[3]) == (recording["direction"], "201"), cells
    shot(browser, "recordings")

    play = f'#recordings tr[data-key="{key}"] button.play'
    browser.find_element(By.ID, "privacy-password").send_keys("not the password")
    browser.find_element(By.CSS_SELECTOR, play).click()
    error = f'#recordings tr[data-key="{key}"] .error'
    assert "wrong privacy password" in wait(
        browser, lambda d: d.find_element(By.CSS_SELECTOR, error).text
    )  # fmt: skip
    assert browser.find_element(By.ID, "player").get_attribute("hidden") is not None
    field = browser.find_element(By.ID, "privacy-password")
    field.clear()
    field.send_keys(OFFICER_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, play).click()
    script = "const p = document.getElementById('player'); return p.readyState > 0 ? p.duration : 0"
    duration = wait(browser, lambda d: d.execute_script(script))
    assert abs(duration - recording["duration_seconds"]) < 1.0, (duration, recording)
    assert browser.find_element(By.ID, "player").get_attribute("src").startswith("blob:")
    shot(browser, "recording-played")

    browser.find_element(By.CSS_SELECTOR, f'#recordings tr[data-key="{key}"] .delete').click()
    browser.switch_to.alert.accept()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr[data-key="{key}"]'))
    assert local_request(mini_unit, "GET", f"/api/v1/recordings/{key}")[0] == 404


def _pair(name: str, dns: str, days: int) -> tuple[bytes, bytes]:
    """A self-signed certificate for dns valid for days (negative: expired) and its key, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=max(1, -days) + 1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _choose_pem(browser: WebDriver, tmp_path: Path, certificate: bytes, key: bytes) -> None:
    """Both files chosen on a fresh TLS form (each fills its textarea), then submitted."""
    browser.get(f"{BASE}/tls")
    for name, pem in (("certificate", certificate), ("key", key)):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(pem)
        chooser = browser.find_element(By.CSS_SELECTOR, f'#tls-form [name="{name}_file"]')
        chooser.send_keys(str(path))
        area = f'#tls-form textarea[name="{name}"]'
        wait(browser, lambda d, a=area: "-----BEGIN" in d.find_element(By.CSS_SELECTOR, a)
             .get_property("value"))  # fmt: skip
    browser.find_element(By.CSS_SELECTOR, '#tls-form button[type="submit"]').click()


def _shown(browser: WebDriver, list_id: str) -> dict[str, str]:
    """A page's <dl id=list_id>: each label's value; {} while the page is still loading (its
    labels and values read at different moments of a reload)."""
    labels = browser.find_elements(By.CSS_SELECTOR, f"#{list_id} dt")
    values = browser.find_elements(By.CSS_SELECTOR, f"#{list_id} dd")
    if len(labels) != len(values):
        return {}
    return {label.text: value.text for label, value in zip(labels, values, strict=True)}


def test_the_tls_page_shows_the_certificate_and_refuses_a_bad_pair_beside_its_field(
    browser: WebDriver, mini_unit: Unit, tmp_path: Path
) -> None:
    _, tls = local_request(mini_unit, "GET", "/api/v1/tls")
    browser.get(f"{BASE}/tls")
    shot(browser, "tls")
    shown, cert = _shown(browser, "certificate"), tls["certificate"]
    assert tls["origin"] == "unit" and "own" in shown["Origin"]
    assert shown["SHA-256 fingerprint"] == cert["fingerprint_sha256"]
    assert shown["Subject"] == cert["subject"] and shown["Not after"] == cert["not_after"]
    assert shown["Key type"] == cert["key_type"] == "ECDSA P-256"
    assert shown["Subject alternative names"] == ", ".join(cert["dns_names"] + cert["ip_addresses"])
    assert "ORP-WEB-0001" in shown["Subject alternative names"]

    good_cert, _ = _pair("pbx.example.com", "pbx.example.com", 90)
    _, other_key = _pair("other", "other.example.com", 90)
    _choose_pem(browser, tmp_path, good_cert, other_key)
    refusal = error_beside(browser, "tls-form", "key")
    shot(browser, "tls-mismatched-key")
    assert "does not match the certificate" in refusal, refusal
    expired_cert, expired_key = _pair("old", "old.example.com", -2)
    _choose_pem(browser, tmp_path, expired_cert, expired_key)
    assert "expired on" in error_beside(browser, "tls-form", "certificate")
    assert local_request(mini_unit, "GET", "/api/v1/tls")[1] == tls  # nothing changed

    # a customer's certificate naming an XSS payload: installed, shown as text
    xss_cert, xss_key = _pair(XSS[0], "pbx.example.com", 90)
    _choose_pem(browser, tmp_path, xss_cert, xss_key)
    wait(browser, lambda d: "customer" in _shown(d, "certificate").get("Origin", ""))
    _, installed = local_request(mini_unit, "GET", "/api/v1/tls")
    shown = _shown(browser, "certificate")
    assert installed["origin"] == "installed" and "admin" in shown["Origin"]
    assert shown["SHA-256 fingerprint"] == installed["certificate"]["fingerprint_sha256"]
    assert shown["Subject"] == installed["certificate"]["subject"] and "script" in shown["Subject"]
    assert no_alert(browser) and not browser.find_elements(By.XPATH, "//script[not(@src)]")
    shot(browser, "tls-installed")


def test_the_snmp_page_shows_and_changes_the_settings(browser: WebDriver, mini_unit: Unit) -> None:
    _, snmp = local_request(mini_unit, "GET", "/api/v1/snmp")
    browser.get(f"{BASE}/snmp")
    shot(browser, "snmp")
    shown, settings = _shown(browser, "snmp"), snmp["settings"]
    assert shown["Contact"] == settings["contact"] and shown["Location"] == settings["location"]
    assert shown["Storage alarm at (% full)"] == str(settings["storage_full_percent"])
    assert shown["Connected to snmpd (AgentX)"] == ("yes" if snmp["agentx_connected"] else "no")
    assert shown["Objects served"] == str(snmp["objects"])

    for payload in SNMP_XSS:  # stored as given, shown as text in the list and in the field
        fill(browser, "snmp-form", {"contact": payload, "storage_full_percent": "95"})
        wait(browser, lambda d, p=payload: _shown(d, "snmp").get("Contact") == p)
        assert browser.find_element(By.CSS_SELECTOR, '#snmp-form [name="contact"]').get_attribute(
            "value"
        ) == payload and no_alert(browser)  # fmt: skip
        assert not browser.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
    fill(browser, "snmp-form", {"location": 'rack "3"'})  # the API's refusal, beside the field
    assert "without quotes" in error_beside(browser, "snmp-form", "location")
    _, changed = local_request(mini_unit, "GET", "/api/v1/snmp")
    assert changed["settings"]["contact"] == SNMP_XSS[-1]
    assert changed["settings"]["storage_full_percent"] == 95

    communities = '[{"name": "nms", "sources": ["192.0.2.0/24"]}]'
    fill(browser, "snmp-lists-form", {"communities": "[{not json"})
    assert "communities" in error_beside(browser, "snmp-lists-form", "communities")
    fill(browser, "snmp-lists-form", {"communities": communities})
    wait(browser, lambda d: "nms" in d.find_element(By.ID, "communities").text)
    assert "192.0.2.0/24" in browser.find_element(By.ID, "communities").text
    _, changed = local_request(mini_unit, "GET", "/api/v1/snmp")
    assert changed["settings"]["communities"] == json.loads(communities)
    shot(browser, "snmp-changed")


def test_the_ha_page_shows_the_status_and_opens_a_pairing_window(
    browser: WebDriver, mini_unit: Unit
) -> None:
    _, status = local_request(mini_unit, "GET", "/api/v1/ha")
    browser.get(f"{BASE}/ha")
    shot(browser, "ha")
    shown = _shown(browser, "ha")
    assert status["paired"] is False and shown["Paired"] == "no"
    assert shown["Role"].startswith(status["role"]) and status["vrrp_state"] in shown["Role"]
    assert shown["This unit's fingerprint"] == status["node_fingerprint"]
    assert not browser.find_elements(By.ID, "unpair")  # nothing to unpair

    fill(browser, "pair-form", {"peer": "192.0.2.2", "vip": "192.0.2.10/24", "interface": "eth0",
                                "code": "123 456", "peer_fingerprint": "<script>"})  # fmt: skip
    assert "SHA-256 fingerprint" in error_beside(browser, "pair-form", "peer_fingerprint")
    assert no_alert(browser)
    fill(browser, "join-form", {"master": "192.0.2.1"})  # the Lite may pair: a window opens
    code = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '[data-field="code"]').text)
    fingerprint = browser.find_element(By.CSS_SELECTOR, '[data-field="fingerprint"]').text
    assert any(char.isdigit() for char in code) and fingerprint == status["node_fingerprint"]
    shot(browser, "ha-join")


FIREWALL = "/api/v1/firewall"
ADMIN_ADDRESS = "10.99.0.1"  # the browser's own in the unit's namespace, not loopback


def _console(unit: Unit, method: str, path: str, body: Any = None) -> Any:
    """The API over the unit's Unix socket (no source address: no lock-out check)."""
    status, answer = local_request(unit, method, path, None if body is None else
                                   json.dumps(body).encode())  # fmt: skip
    assert 200 <= status < 300, (status, answer)
    return answer


def _open_lists(unit: Unit) -> None:
    """Every list back to its default, confirmed."""
    if _console(unit, "GET", FIREWALL)["pending"]:
        _console(unit, "POST", f"{FIREWALL}/confirm", {})
    _console(unit, "POST", FIREWALL, {"allow": {}, "trusted": []})
    _console(unit, "POST", f"{FIREWALL}/confirm", {})


def _cells(browser: WebDriver, table: str) -> dict[str, list[str]]:
    """A table's rows by their data-key: each cell's text."""
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr[data-key]")
    return {
        str(row.get_attribute("data-key")): [cell.text for cell in
                                             row.find_elements(By.TAG_NAME, "td")]
        for row in rows
    }  # fmt: skip


def test_the_network_security_page_shows_what_the_firewall_api_says(
    browser: WebDriver, mini_unit: Unit
) -> None:
    state = _console(mini_unit, "GET", FIREWALL)
    browser.get(f"{BASE}/network")
    shot(browser, "network")
    shown, rows = _shown(browser, "firewall"), _cells(browser, "services")
    assert shown["Mode"] == state["mode"] and shown["Change waiting for confirmation"] == "no"
    assert shown["Local networks"] == (", ".join(state["local"]) or "none")
    assert set(rows) == set(state["services"])
    for name, service in state["services"].items():
        allow, networks = service["allow"], service["networks"]
        assert rows[name][2] == (", ".join(allow) if allow is not None else "default"), name
        assert rows[name][3] == ("anywhere" if networks is None else ", ".join(networks)), name
    assert json.loads(browser.find_element(By.ID, "confirmed").text) == state["confirmed"]


@contextlib.contextmanager
def _own_address(browser: WebDriver, unit: Unit) -> Iterator[str]:
    """The page reached from ADMIN_ADDRESS (on the namespace's loopback device), logged in
    there: loopback itself (127.0.0.1) may always reach the unit, so no list locks it out."""
    netns = ["ip", "netns", "exec", unit.agent.netns, "ip", "address"]
    subprocess.run([*netns, "add", f"{ADMIN_ADDRESS}/32", "dev", "lo"], check=True)
    base = f"https://{ADMIN_ADDRESS}:{HTTPS_PORT}"
    try:
        log_in(browser, base, "admin", ADMIN_PASSWORD)
        wait(browser, lambda d: d.current_url.endswith("/dashboard"))
        yield base
    finally:
        _open_lists(unit)
        subprocess.run([*netns, "del", f"{ADMIN_ADDRESS}/32", "dev", "lo"], check=False)
        log_in(browser, BASE, "admin", ADMIN_PASSWORD)  # back on the module's origin
        wait(browser, lambda d: d.current_url.endswith("/dashboard"))


def test_a_lock_out_is_refused_inline_and_a_kept_change_is_confirmed_with_the_button(
    browser: WebDriver, mini_unit: Unit
) -> None:
    with _own_address(browser, mini_unit) as base:
        browser.get(f"{base}/network")
        fill(browser, "firewall-form", {"admin": "192.0.2.0/24"})
        refusal = error_beside(browser, "firewall-form", "_form")
        shot(browser, "network-lock-out-refused")
        assert f"lock you out ({ADMIN_ADDRESS} is not in the admin list)" in refusal, refusal
        assert _console(mini_unit, "GET", FIREWALL)["pending"] is None
        fill(browser, "firewall-form", {"admin": XSS[1]})  # refused by its schema, not run
        assert "address/prefix" in error_beside(browser, "firewall-form", "_form")
        assert no_alert(browser) and not browser.find_elements(By.CSS_SELECTOR, 'img[src="x"]')

        fill(browser, "firewall-form", {"admin": f"{ADMIN_ADDRESS}/32, 192.0.2.0/24"})
        button = wait(browser, lambda d: d.find_elements(By.ID, "confirm"))[0]
        pending = _console(mini_unit, "GET", FIREWALL)["pending"]
        assert pending is not None and 0 < pending["confirm_within_seconds"] <= 60
        left = int(browser.find_element(By.ID, "confirm-seconds").text)
        waiting = _shown(browser, "firewall")["Change waiting for confirmation"]
        assert 0 < left <= 60 and waiting.startswith("yes: confirm within"), waiting
        assert not browser.find_elements(By.ID, "firewall-form")  # one change at a time
        shot(browser, "network-pending")
        button.click()
        wait(browser, lambda d: d.find_elements(By.ID, "firewall-form"))
        state = _console(mini_unit, "GET", FIREWALL)
        assert state["pending"] is None
        assert state["services"]["admin"]["allow"] == [f"{ADMIN_ADDRESS}/32", "192.0.2.0/24"]
        assert state["confirmed"]["allow"]["admin"] == state["services"]["admin"]["allow"]
        assert not browser.find_elements(By.ID, "confirm")
        shown = _cells(browser, "services")["admin"][2]
        assert shown == f"{ADMIN_ADDRESS}/32, 192.0.2.0/24", shown
        shot(browser, "network-confirmed")


def test_a_blocked_address_is_listed_counted_on_the_dashboard_and_removed(
    browser: WebDriver, mini_unit: Unit
) -> None:
    """Put in the agent's block set as its SIP blocking would (nft in the unit's namespace):
    the API has no route that adds one."""
    address = "198.51.100.7"
    subprocess.run(["ip", "netns", "exec", mini_unit.agent.netns, "nft", "add", "element",
                    "inet", "orpheus", "blocked_v4", f"{{ {address} timeout 1h }}"],
                   check=True)  # fmt: skip
    listed = _console(mini_unit, "GET", f"{FIREWALL}/blocked")["blocked"]
    assert [entry["address"] for entry in listed] == [address]
    browser.get(f"{BASE}/dashboard")
    assert browser.find_element(By.ID, "value-blocked").text == "1"
    browser.get(f"{BASE}/network")
    row = _cells(browser, "blocked")[address]
    assert row[0] == address and row[1].endswith(" s") and 0 < int(row[1][:-2]) <= 3600
    shot(browser, "network-blocked")
    browser.find_element(By.CSS_SELECTOR, f'#blocked tr[data-key="{address}"] .api-action').click()
    browser.switch_to.alert.accept()
    wait(browser, lambda d: address not in _cells(d, "blocked"))
    assert _console(mini_unit, "GET", f"{FIREWALL}/blocked")["blocked"] == []
    browser.get(f"{BASE}/dashboard")
    assert browser.find_element(By.ID, "value-blocked").text == "0"


def _capture_size(unit: Unit, capture_id: str) -> int:
    found = [c for c in _console(unit, "GET", "/api/v1/captures")["captures"]
             if c["id"] == capture_id]  # fmt: skip
    return int(found[0]["size_bytes"]) if found else 0


def test_the_diagnostics_page_lists_a_capture_its_dialogs_and_their_ladder(
    browser: WebDriver, mini_unit: Unit
) -> None:
    """A capture started over the API while sipp registers an extension through Asterisk."""
    add_extension(mini_unit, "270")
    capture = _console(mini_unit, "POST", "/api/v1/captures",
                       {"filter": {"kind": "sip"}, "duration_seconds": 120})  # fmt: skip
    wait_for("tcpdump to write its file", lambda: _capture_size(mini_unit, capture["id"]) > 0,
             timeout=30)  # fmt: skip
    Sipp(mini_unit.agent.netns, mini_unit.agent.workdir, "web-register").run("register.xml", [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5095", "-key", "caller", "270",
        "-au", "270", "-ap", PASSWORD, "-m", "1", "-timeout", "60s",
    ])  # fmt: skip
    _console(mini_unit, "POST", f"/api/v1/captures/{capture['id']}/stop", {})
    shown = _console(mini_unit, "GET", f"/api/v1/captures/{capture['id']}")
    register = next(d for d in shown["dialogs"] if d["method"] == "REGISTER")

    browser.get(f"{BASE}/diagnostics")
    row = _cells(browser, "captures")[capture["id"]]
    assert row[1] == "sip" and row[2] == "finished" and row[4] == "120 s"
    link = browser.find_element(
        By.CSS_SELECTOR, f'#captures tr[data-key="{capture["id"]}"] a.download'
    )
    assert link.get_attribute("href") == f"{BASE}/api/v1/captures/{capture['id']}/pcap"
    assert browser.find_element(By.ID, "report").get_attribute("href") == f"{BASE}/api/v1/report"
    browser.find_element(
        By.CSS_SELECTOR, f'#captures tr[data-key="{capture["id"]}"] a.dialogs'
    ).click()
    wait(browser, lambda d: d.find_elements(By.ID, "dialogs"))
    table = browser.find_element(By.ID, "dialogs").text
    assert register["call_id"] in table and "REGISTER" in table
    assert str(register["final_response"]) in table
    src = views.ladder_path(capture["id"], register["call_id"])
    image = browser.find_element(By.CSS_SELECTOR, f'figure.ladder img[src="{src}"]')
    browser.execute_script("arguments[0].scrollIntoView()", image)
    # drawn: the CSP lets the page show the API's SVG, the session cookie authenticates it
    wait(browser, lambda d: d.execute_script("return arguments[0].complete && "
                                             "arguments[0].naturalWidth", image))  # fmt: skip
    status, kind, start = browser.execute_async_script(
        "fetch(arguments[0]).then((r) => r.text().then((t) => arguments[1]("
        "[r.status, r.headers.get('Content-Type'), t.slice(0, 5)])))", src)  # fmt: skip
    assert status == 200 and kind.startswith("image/svg+xml") and start == "<?xml"
    shot(browser, "diagnostics-dialogs")

    browser.get(f"{BASE}/diagnostics?capture={XSS[0]}")  # not a capture: nothing reflected
    assert no_alert(browser) and not browser.find_elements(By.ID, "dialogs")
    Select(browser.find_element(By.CSS_SELECTOR, '#capture-form [name="kind"]')).select_by_value(
        "port"
    )
    fill(browser, "capture-form", {"value": "5060; rm -rf /", "duration_seconds": "5"})
    assert "port" in error_beside(browser, "capture-form", "_form")
    assert no_alert(browser)
    fill(browser, "capture-form", {"value": "5060"})
    wait(browser, lambda d: len(_cells(d, "captures")) == 2)
    started = [c for c in _console(mini_unit, "GET", "/api/v1/captures")["captures"]
               if c["id"] != capture["id"]]  # fmt: skip
    assert started[0]["filter"] == {"kind": "port", "value": "5060"}
    assert started[0]["duration_seconds"] == 5
    shot(browser, "diagnostics")
    for one in (started[0]["id"], capture["id"]):
        browser.find_element(By.CSS_SELECTOR, f'#captures tr[data-key="{one}"] .delete').click()
        browser.switch_to.alert.accept()
        wait(browser, lambda d, o=one: o not in _cells(d, "captures"))
    assert _console(mini_unit, "GET", "/api/v1/captures")["captures"] == []


def test_a_changing_request_without_the_csrf_token_is_refused(browser: WebDriver) -> None:
    browser.get(f"{BASE}/dashboard")
    body = {"number": "230", "password": PASSWORD}
    assert fetch(browser, "DELETE", "/api/v1/pbx/extension/201", {}, csrf=False) == 403
    assert fetch(browser, "POST", "/api/v1/pbx/extension", body, csrf=False) == 403
    # the page's own CSV import sends each row to the API as the browser's request: refused too
    assert fetch(browser, "POST", "/pbx/extension/import", "number,password\n231,x", False) == 403


def test_a_weak_sip_password_is_stored_with_a_badge_and_a_delete_asks_first(
    browser: WebDriver, mini_unit: Unit
) -> None:
    browser.get(f"{BASE}/pbx/extension?edit=203")
    fill(browser, "record-form", {"password": "1234"})  # too short: refused beside the field
    assert "8-64" in error_beside(browser, "record-form", "password")
    fill(browser, "record-form", {"password": "12345678"})  # stored, but flagged
    badge = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.warnings li.weak"))
    assert "203" in badge[0].text, badge[0].text
    shot(browser, "extension-weak-password")

    row = 'tr[data-key="204"] .api-action'
    browser.find_element(By.CSS_SELECTOR, row).click()
    browser.switch_to.alert.dismiss()  # "Delete extension 204?" answered no: nothing goes
    assert local_request(mini_unit, "GET", "/api/v1/pbx/extension/204")[0] == 200
    browser.find_element(By.CSS_SELECTOR, row).click()
    browser.switch_to.alert.accept()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, 'tr[data-key="204"]'))
    assert local_request(mini_unit, "GET", "/api/v1/pbx/extension/204")[0] == 404


def test_every_answer_of_the_page_carries_its_security_headers(browser: WebDriver) -> None:
    browser.get(f"{BASE}/dashboard")
    script = """
        const done = arguments[arguments.length - 1];
        Promise.all(["/dashboard", "/static/app.js", "/login", "/pbx/nothing"].map((path) =>
            fetch(path).then((r) => [r.headers.get("Content-Security-Policy"),
                                     r.headers.get("X-Frame-Options"),
                                     r.headers.get("Referrer-Policy"),
                                     r.headers.get("Cache-Control")])))
            .then(done);
    """
    answers = browser.execute_async_script(script)
    for csp, frames, referrer, _ in answers:
        assert csp.startswith("default-src 'self'") and frames == "DENY" and referrer
    assert [cache for *_, cache in answers] == ["no-store", "no-cache", "no-store", "no-store"]


def test_a_user_and_a_level_are_edited_on_the_users_page(
    browser: WebDriver, mini_unit: Unit
) -> None:
    level = json.dumps({"name": "auditors", "rights": {"audit": "read"}}).encode()
    assert local_request(mini_unit, "POST", "/api/v1/levels", level)[0] == 201
    user = {"name": "otto", "password": ADMIN_PASSWORD, "level": "auditors"}
    assert local_request(mini_unit, "POST", "/api/v1/users", json.dumps(user).encode())[0] == 201

    browser.get(f"{BASE}/users?edit=otto")
    browser.find_element(By.CSS_SELECTOR, '#user-form [name="enabled"]').click()  # off
    browser.find_element(By.CSS_SELECTOR, '#user-form button[type="submit"]').click()
    wait(browser, lambda d: d.current_url.endswith("/users"))
    assert local_request(mini_unit, "GET", "/api/v1/users/otto")[1]["enabled"] is False

    browser.get(f"{BASE}/users?level=auditors")
    Select(browser.find_element(By.CSS_SELECTOR, '#level-form [name="storage"]')).select_by_value(
        "read"
    )
    browser.find_element(By.CSS_SELECTOR, '#level-form button[type="submit"]').click()
    wait(browser, lambda d: d.current_url.endswith("/users"))
    rights = local_request(mini_unit, "GET", "/api/v1/levels/auditors")[1]["rights"]
    assert rights["storage"] == "read" and rights["audit"] == "read" and rights["pbx"] == "none"


def test_a_level_that_may_change_only_extensions_sees_the_rest_read_only(
    browser: WebDriver, mini_unit: Unit
) -> None:
    browser.get(f"{BASE}/users")  # the administrator makes the level and its user on the page
    browser.find_element(By.CSS_SELECTOR, '#level-form [name="name"]').send_keys("extensions-only")
    for area, right in (("pbx", "change"), ("dashboard", "read"), ("users", "read")):
        Select(
            browser.find_element(By.CSS_SELECTOR, f'#level-form [name="{area}"]')
        ).select_by_value(right)
    browser.find_element(By.CSS_SELECTOR, '#level-form button[type="submit"]').click()
    wait(browser, lambda d: "extensions-only" in d.find_element(By.ID, "levels").text)
    browser.find_element(By.CSS_SELECTOR, '#user-form [name="name"]').send_keys("ella")
    browser.find_element(By.CSS_SELECTOR, '#user-form [name="password"]').send_keys(ADMIN_PASSWORD)
    Select(browser.find_element(By.CSS_SELECTOR, '#user-form [name="level"]')).select_by_value(
        "extensions-only"
    )
    browser.find_element(By.CSS_SELECTOR, '#user-form button[type="submit"]').click()
    wait(browser, lambda d: "ella" in d.find_element(By.ID, "users").text)
    _, ella = local_request(mini_unit, "GET", "/api/v1/users/ella")
    assert ella["level"] == "extensions-only" and ella["must_change_password"] is True
    _, level = local_request(mini_unit, "GET", "/api/v1/levels/extensions-only")
    assert level["rights"]["pbx"] == "change" and level["rights"]["firmware"] == "none"

    log_in(browser, BASE, "ella", ADMIN_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/password"))
    fill(
        browser, "password", {"current_password": ADMIN_PASSWORD, "password": ADMIN_PASSWORD + "x"}
    )
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    nav = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert nav == ["Dashboard", "Extensions", "Trunks", "Queues", "IVR", "Balancers", "Recording",
                   "Users and levels"]  # fmt: skip
    assert "not shown" in browser.find_element(By.ID, "value-tier").text  # no licence right

    browser.get(f"{BASE}/users")
    shot(browser, "users-read-only")
    assert browser.find_element(By.ID, "users").text.count("ella") == 1
    assert not browser.find_elements(By.CSS_SELECTOR, "form.api-form, .api-action")
    body = {"name": "mallory", "password": ADMIN_PASSWORD, "level": "administrator"}
    assert fetch(browser, "POST", "/api/v1/users", body) == 403
    assert fetch(browser, "PUT", "/api/v1/license", {}) == 403
    browser.get(f"{BASE}/firmware")
    assert "may not read" in browser.find_element(By.TAG_NAME, "main").text

    browser.get(f"{BASE}/pbx/extension")  # the one area it may change
    assert browser.find_elements(By.ID, "record-form")
    assert fetch(browser, "DELETE", "/api/v1/pbx/extension/250", {}) == 200


def test_a_level_without_network_snmp_or_ha_rights_sees_none_of_their_pages(
    browser: WebDriver, mini_unit: Unit
) -> None:
    """ella (the extensions-only level) first, then a level that may only read them."""
    log_in(browser, BASE, "ella", ADMIN_PASSWORD + "x")
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    nav = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert not {"SNMP", "HA", "TLS certificate", "Network security", "Diagnostics"} & set(nav)
    for path in ("/tls", "/snmp", "/ha", "/network", "/diagnostics"):
        browser.get(f"{BASE}{path}")
        assert "may not read" in browser.find_element(By.TAG_NAME, "main").text, path
        assert not browser.find_elements(By.CSS_SELECTOR, "form, .api-action, textarea")
    assert fetch(browser, "PUT", "/api/v1/snmp", {"contact": "ella"}) == 403
    assert fetch(browser, "POST", "/api/v1/ha/join", {}) == 403
    assert fetch(browser, "PUT", "/api/v1/tls", {"certificate": "x", "key": "y"}) == 403

    rights = dict.fromkeys(("dashboard", "network", "snmp", "ha"), "read")
    level = {"name": "watchers", "rights": rights}
    assert local_request(mini_unit, "POST", "/api/v1/levels", json.dumps(level).encode())[0] == 201
    user = {"name": "wanda", "password": ADMIN_PASSWORD, "level": "watchers"}
    assert local_request(mini_unit, "POST", "/api/v1/users", json.dumps(user).encode())[0] == 201
    log_in(browser, BASE, "wanda", ADMIN_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/password"))
    fill(browser, "password", {"current_password": ADMIN_PASSWORD,
                               "password": ADMIN_PASSWORD + "w"})  # fmt: skip
    wait(browser, lambda d: d.current_url.endswith("/dashboard"))
    nav = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert nav == ["Dashboard", "SNMP", "HA", "TLS certificate", "Network security"], nav
    _, tls = local_request(mini_unit, "GET", "/api/v1/tls")
    for path, list_id in (("/tls", "certificate"), ("/snmp", "snmp"), ("/ha", "ha"),
                          ("/network", "firewall")):  # fmt: skip
        browser.get(f"{BASE}{path}")
        assert _shown(browser, list_id), path  # the values, read
        assert not browser.find_elements(By.CSS_SELECTOR, "form, .api-action, textarea"), path
        shot(browser, f"{path[1:]}-read-only")
    browser.get(f"{BASE}/tls")
    fingerprint = _shown(browser, "certificate")["SHA-256 fingerprint"]
    assert fingerprint == tls["certificate"]["fingerprint_sha256"]
    assert fetch(browser, "PUT", "/api/v1/snmp", {"contact": "wanda"}) == 403
    assert fetch(browser, "POST", "/api/v1/firewall/confirm", {}) == 403
    browser.get(f"{BASE}/diagnostics")  # no diagnostics right: neither captures nor report
    assert "may not read" in browser.find_element(By.TAG_NAME, "main").text


def test_log_out_ends_the_session(browser: WebDriver) -> None:
    browser.get(f"{BASE}/dashboard")
    stolen = browser.get_cookie("orpheus_session")
    assert stolen is not None
    browser.find_element(By.ID, "logout").click()
    wait(browser, lambda d: d.current_url.endswith("/login"))
    browser.get(f"{BASE}/pbx/extension")
    assert browser.current_url.endswith("/login")
    # the agent revoked it: the same id, brought back, opens nothing
    browser.add_cookie({"name": stolen["name"], "value": stolen["value"], "path": "/"})
    browser.get(f"{BASE}/dashboard")
    assert browser.current_url.endswith("/login")


def test_too_many_wrong_passwords_show_when_to_try_again(browser: WebDriver) -> None:
    """Last in the module: its address is blocked for a moment afterwards."""
    browser.get(f"{BASE}/login")
    shown = ""
    for attempt in range(8):
        fill(browser, "login", {"name": "nobody", "password": f"wrong-{attempt}"})
        wait(
            browser,
            lambda d: d.find_element(By.CSS_SELECTOR, '#login .error[data-for="_form"]').text,
        )
        shown = browser.find_element(By.CSS_SELECTOR, '#login .error[data-for="_form"]').text
        if "try again in" in shown:
            break
        browser.get(f"{BASE}/login")
    shot(browser, "login-too-many")
    assert "too many wrong passwords" in shown and "try again in" in shown, shown
