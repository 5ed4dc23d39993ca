"""Driving the admin page in a browser (testbed/browser.py): forms, the errors beside their
fields, requests from the page's own JS, screenshots. For the host tests (tests/web/) and for a
QEMU guest's page alike: only log_in needs the page's address."""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import (
    NoAlertPresentException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from testbed.paths import LOG_DIR

SHOTS = LOG_DIR / "web"


def shot(driver: WebDriver, name: str) -> None:
    """A screenshot of the page, once loaded, as build/test-logs/web/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait(driver: WebDriver, condition: Any, timeout: float = 30) -> Any:
    """condition(driver)'s first truthy value; on a timeout, the page's text in the error."""
    try:
        # a page reloading under the condition raises meanwhile: asked again until the timeout
        waiting = WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,))
        return waiting.until(lambda d: condition(d))
    except TimeoutException:
        main = driver.find_elements(By.TAG_NAME, "main")
        shown = main[0].text if main else driver.page_source[:2000]
        raise AssertionError(
            f"timed out at {driver.current_url}; the page shows: {shown}"
        ) from None


def error_beside(driver: WebDriver, form: str, field: str) -> str:
    """The text shown beside a form's field (waited for: the API answers first)."""
    selector = f'#{form} .error[data-for="{field}"]'
    return str(wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector).text))


def fill(driver: WebDriver, form: str, values: dict[str, str]) -> None:
    """Types the values into the form's fields (by name) and submits it."""
    for name, value in values.items():
        field = driver.find_element(By.CSS_SELECTOR, f'#{form} [name="{name}"]')
        field.clear()
        field.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, f'#{form} button[type="submit"]').click()


def no_alert(driver: WebDriver) -> bool:
    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def fetch(driver: WebDriver, method: str, path: str, body: Any, csrf: bool = True) -> int:
    """A request from the page's own JS (the session cookie goes along); its status."""
    script = """
        const [method, path, body, csrf, done] = arguments;
        const headers = {"Content-Type": "application/json"};
        if (csrf) headers["X-CSRF-Token"] =
            document.querySelector('meta[name="csrf-token"]').content;
        const data = typeof body === "string" ? body : JSON.stringify(body);
        fetch(path, {method, headers, body: data})
            .then((r) => done(r.status), () => done(-1));
    """
    return int(driver.execute_async_script(script, method, path, body, csrf))


def log_in(driver: WebDriver, base: str, name: str, password: str) -> None:
    """A fresh log-in on the form (the browser's cookies dropped first)."""
    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    fill(driver, "login", {"name": name, "password": password})
