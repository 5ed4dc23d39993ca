"""The admin page of the booted image in a real browser (Debian's chromium on the host, the
guest's 443 forwarded): the factory password forced to change, the first-run wizard (its time
zone and NTP server put to use by the guest's systemd-timesyncd), the dashboard against
GET /api/v1/status, extensions up to the licence's limit and the next one refused beside the
field, a CSV import, a bundle upload with its progress bar and the same bundle from a URL
(both refused: signed by another key), a rollback with its confirmation, and a level that may
change only the PBX: the rest read-only, other areas' API calls 403.

It changes the admin password and the boot order: it runs last in this package (files run in
name order) and puts the boot order back; the guest is powered off after it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from testbed import bundles
from testbed.admin_page import error_beside, fetch, fill, log_in, shot, wait
from testbed.browser import local_browser
from testbed.bundle_server import BundleServer
from testbed.vm import Vm
from tests.qemu.test_boot import PASSWORD, on_guest

pytestmark = pytest.mark.qemu

NEW_PASSWORD = "Harbour-Violet-Engine-4821"
SIP_PASSWORD = "Tundra-Signal-Copper-5537"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with local_browser() as driver:
        driver.set_page_load_timeout(120)  # TCG: a page is a few sub-requests to the agent
        yield driver


@pytest.fixture(scope="module")
def base(vm: Vm) -> str:
    return f"https://127.0.0.1:{vm.https_port}"


@pytest.fixture(scope="module")
def fingerprint(vm: Vm, ssh_key: Path) -> str:
    status = json.loads(on_guest(vm, ssh_key, "orpheusctl", "status", "--json"))
    return str(status["tls_fingerprint"])


def api(vm: Vm, fingerprint: str, path: str) -> object:
    fetched = vm.https(path, fingerprint, password=NEW_PASSWORD, timeout=60)
    assert fetched.status == 200, (path, fetched.status, fetched.body)
    return fetched.body


def test_the_factory_password_must_be_changed_at_the_first_log_in(
    browser: WebDriver, base: str, vm: Vm, fingerprint: str
) -> None:
    log_in(browser, base, "admin", PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/password"), timeout=120)
    shot(browser, "qemu-password")
    fill(browser, "password", {"current_password": PASSWORD, "password": NEW_PASSWORD})
    wait(browser, lambda d: d.current_url.endswith("/wizard"), timeout=120)
    assert vm.https("/api/v1/status", fingerprint, password=PASSWORD).status == 401


def test_the_first_run_wizard_sets_the_guests_clock_and_snmp(
    browser: WebDriver, vm: Vm, fingerprint: str, ssh_key: Path
) -> None:
    assert browser.current_url.endswith("/wizard")
    zone = Select(browser.find_element(By.CSS_SELECTOR, '#wizard-time [name="timezone"]'))
    zone.select_by_value("Europe/Rome")
    # NTP on loopback: timesyncd tries it and reaches nobody outside (nor does it by default)
    fill(browser, "wizard-time", {"ntp_servers": "127.0.0.1"})
    wait(browser, lambda d: d.current_url.endswith("/wizard?step=3"), timeout=120)
    shot(browser, "qemu-wizard-snmp")
    browser.find_element(By.CSS_SELECTOR, '#wizard-snmp [value="on"]').click()
    fill(browser, "wizard-snmp", {"community": "wizard", "source": "10.0.2.0/24"})
    wait(browser, lambda d: d.current_url.endswith("/dashboard"), timeout=120)
    time_settings = api(vm, fingerprint, "/api/v1/time")
    assert isinstance(time_settings, dict)
    assert (time_settings["timezone"], time_settings["ntp_servers"]) == (
        "Europe/Rome",
        ["127.0.0.1"],
    )
    assert on_guest(vm, ssh_key, "readlink", "-f", "/etc/localtime").strip() == (
        "/usr/share/zoneinfo/Europe/Rome"
    )  # fmt: skip
    assert on_guest(vm, ssh_key, "date", "+%Z").strip() in ("CET", "CEST")
    assert on_guest(vm, ssh_key, "systemctl", "is-active", "systemd-timesyncd").strip() == "active"
    servers = on_guest(vm, ssh_key, "timedatectl", "show-timesync", "--property=SystemNTPServers")
    assert servers.strip() == "SystemNTPServers=127.0.0.1", servers
    fallback = on_guest(
        vm, ssh_key, "timedatectl", "show-timesync", "--property=FallbackNTPServers"
    )
    assert fallback.strip() == "FallbackNTPServers=", fallback  # nobody asked by default
    setup = api(vm, fingerprint, "/api/v1/setup")
    assert isinstance(setup, dict) and setup["outcome"] == "finished"


def test_the_dashboard_shows_the_units_status(
    browser: WebDriver, base: str, vm: Vm, fingerprint: str
) -> None:
    browser.get(f"{base}/dashboard")
    status = api(vm, fingerprint, "/api/v1/status")
    assert isinstance(status, dict)
    shot(browser, "qemu-dashboard")

    def shown(key: str) -> str:
        return str(browser.find_element(By.ID, f"value-{key}").text)

    assert shown("version") == status["version"]
    assert shown("board") == status["board"]
    assert shown("weak_passwords") == str(status["weak_passwords"])
    alarms = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#alarms li")]
    assert alarms == status["alarms"]


def test_extensions_up_to_the_licence_then_the_next_is_refused_beside_the_field(
    browser: WebDriver, base: str, vm: Vm, fingerprint: str, tmp_path: Path
) -> None:
    licence = api(vm, fingerprint, "/api/v1/license")
    assert isinstance(licence, dict)
    limit = int(licence["limits"]["extensions"])
    browser.get(f"{base}/pbx/extension")
    fill(browser, "record-form", {"number": "201", "name": "Reception", "password": SIP_PASSWORD})
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="201"]'), timeout=120)
    records = [{"number": str(202 + i), "password": SIP_PASSWORD} for i in range(limit - 1)]
    assert fetch(browser, "POST", "/api/v1/pbx/extension", {"records": records}) in (200, 201)
    browser.get(f"{base}/pbx/extension")
    fill(browser, "record-form", {"number": "299", "password": SIP_PASSWORD})
    refusal = error_beside(browser, "record-form", "number")
    shot(browser, "qemu-extensions")
    assert str(limit) in refusal and "extensions" in refusal, refusal

    # room for one: the import adds its good row and refuses the others, each with its reason
    assert fetch(browser, "DELETE", f"/api/v1/pbx/extension/{202 + limit - 2}", {}) == 200
    csv = tmp_path / "extensions.csv"
    csv.write_text(
        f"number,name,password\n260,Imported,{SIP_PASSWORD}\n261,too,many,cells\n"
        f"262,Over the limit,{SIP_PASSWORD}\n"
    )
    browser.get(f"{base}/pbx/extension")
    browser.find_element(By.CSS_SELECTOR, '#import-form input[type="file"]').send_keys(str(csv))
    browser.find_element(By.CSS_SELECTOR, '#import-form button[type="submit"]').click()
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#import-report tr"), 120)
    shot(browser, "qemu-import")
    texts = [row.text for row in rows]
    assert len(texts) == 3 and "added" in texts[0], texts
    assert "4 cells" in texts[1] and str(limit) in texts[2], texts
    listed = api(vm, fingerprint, "/api/v1/pbx/extension")
    assert isinstance(listed, list)
    numbers = {record["number"] for record in listed}
    assert "260" in numbers and "262" not in numbers and len(numbers) == limit


def test_a_bundle_upload_shows_its_progress_and_a_forged_one_is_refused(
    browser: WebDriver, base: str, vm: Vm, ssh_key: Path, tmp_path: Path
) -> None:
    """The upload's progress bar reaches its end; the bundle, signed by another key, is then
    refused beside the form and neither slot is touched."""
    forged = bundles.small_bundle(tmp_path / "forged.raucb", keys=bundles.other_keys(tmp_path))
    before = on_guest(vm, ssh_key, "rauc", "status", "--output-format=json")
    browser.get(f"{base}/firmware")
    slots = browser.find_element(By.ID, "slots").text
    assert "booted" in slots and "primary" in slots
    browser.find_element(By.CSS_SELECTOR, '#upload-form input[type="file"]').send_keys(str(forged))
    browser.find_element(By.CSS_SELECTOR, '#upload-form button[type="submit"]').click()

    # the upload is taken (202), then its install job checks the signature and refuses it
    def job_state(driver: WebDriver) -> str:
        shown = str(driver.find_element(By.ID, "job-state").text)
        return shown if shown.startswith(("failed", "refused", "Install refused")) else ""

    refusal = wait(browser, job_state, timeout=120)
    shot(browser, "qemu-firmware-upload")
    progress = browser.find_element(By.ID, "upload-progress").get_attribute("value")
    assert progress == "100", progress
    assert "signature verification failed" in refusal, refusal
    assert on_guest(vm, ssh_key, "rauc", "status", "--output-format=json") == before

    # The same bundle from a URL: the unit downloads it, checks it, and refuses it too.
    server = BundleServer(tmp_path)
    browser.get(f"{base}/firmware")
    fill(browser, "url-form", {"url": "ftp://example.invalid/b.raucb"})
    assert "url" in error_beside(browser, "url-form", "url")  # the schema's refusal, in place
    fill(browser, "url-form", {"url": server.guest_url("forged.raucb")})
    refusal = wait(browser, job_state, timeout=180)
    shot(browser, "qemu-firmware-url")
    assert "signature verification failed" in refusal, refusal
    assert server.gets.get("forged.raucb", 0) >= 1
    assert on_guest(vm, ssh_key, "rauc", "status", "--output-format=json") == before


def test_a_rollback_asks_for_confirmation_then_makes_the_other_slot_primary(
    browser: WebDriver, base: str, vm: Vm, ssh_key: Path
) -> None:
    browser.get(f"{base}/firmware")
    browser.find_element(By.ID, "rollback").click()
    dialog = wait(browser, lambda d: d.switch_to.alert)
    assert "other slot" in dialog.text
    dialog.dismiss()  # no: nothing changes
    time.sleep(1)
    assert json.loads(on_guest(vm, ssh_key, "rauc", "status", "--output-format=json"))[
        "boot_primary"
    ].endswith(".0")
    browser.find_element(By.ID, "rollback").click()
    wait(browser, lambda d: d.switch_to.alert).accept()

    def primary() -> str:
        return str(
            json.loads(on_guest(vm, ssh_key, "rauc", "status", "--output-format=json"))[
                "boot_primary"
            ]
        )

    try:
        wait(browser, lambda d: primary().endswith(".1"), timeout=120)
        shot(browser, "qemu-firmware-rolled-back")
    finally:  # the guest keeps booting slot A
        on_guest(vm, ssh_key, "rauc", "status", "mark-active", "booted")
    assert primary().endswith(".0")


def test_a_level_that_may_change_only_the_pbx_sees_the_rest_read_only(
    browser: WebDriver, base: str, vm: Vm, fingerprint: str
) -> None:
    """Made over the API as the admin; its user logs in on the page (the guest's last test)."""
    level = {"name": "pbx-only", "rights": {"pbx": "change", "dashboard": "read",
                                            "firmware": "read"}}  # fmt: skip
    user = {"name": "ella", "password": SIP_PASSWORD, "level": "pbx-only"}
    for path, body in (("/api/v1/levels", level), ("/api/v1/users", user)):
        created = vm.https(path, fingerprint, password=NEW_PASSWORD, method="POST", body=body)
        assert created.status == 201, created.body
    browser.get(f"{base}/dashboard")
    browser.find_element(By.ID, "logout").click()
    wait(browser, lambda d: d.current_url.endswith("/login"), timeout=120)
    log_in(browser, base, "ella", SIP_PASSWORD)
    wait(browser, lambda d: d.current_url.endswith("/password"), timeout=120)
    fill(browser, "password", {"current_password": SIP_PASSWORD, "password": NEW_PASSWORD + "-e"})
    wait(browser, lambda d: d.current_url.endswith("/dashboard"), timeout=120)
    nav = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert "Firmware" in nav and "Users and levels" not in nav and "Licence" not in nav, nav

    browser.get(f"{base}/firmware")  # read: the slots, no upload, URL or rollback control
    shot(browser, "qemu-firmware-read-only")
    assert "booted" in browser.find_element(By.ID, "slots").text
    for control in ("upload-form", "url-form", "rollback"):
        assert not browser.find_elements(By.ID, control), control
    assert fetch(browser, "POST", "/api/v1/update/rollback", {"reboot": False}) == 403
    assert fetch(browser, "PUT", "/api/v1/license", {}) == 403
    assert fetch(browser, "POST", "/api/v1/users", {"name": "mallory"}) == 403

    browser.get(f"{base}/pbx/extension")  # the one area it may change: at the Mini's limit,
    assert fetch(browser, "DELETE", "/api/v1/pbx/extension/260", {}) == 200  # so one goes
    fill(browser, "record-form", {"number": "270", "password": SIP_PASSWORD})
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-key="270"]'), timeout=120)
