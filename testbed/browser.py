"""A real browser for the web page tests: Debian's chromium driven by its chromedriver through
selenium, headless, never downloading a driver or a browser.

Against a unit on the host (testbed/pbx_unit.py) chromium and chromedriver run inside the
unit's network namespace, which has only loopback, and selenium reaches chromedriver through
testbed/netns_forward.py; against a QEMU guest they run on the host and the page is at
http://127.0.0.1:<forwarded port>.
"""

from __future__ import annotations

import contextlib
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.remote.webdriver import WebDriver

from testbed.netns_forward import forwarded_port
from testbed.polling import wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# chromedriver's port inside a unit's namespace (nothing else of the unit listens there).
DRIVER_PORT = 9515


def _options() -> Options:
    options = Options()
    options.binary_location = CHROMIUM
    # The unit's own certificate is self-signed: the tests check its fingerprint elsewhere.
    options.accept_insecure_certs = True
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,1024",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(argument)
    return options


@contextlib.contextmanager
def local_browser() -> Iterator[WebDriver]:
    """chromium on the host (the page of a QEMU guest through its forwarded port)."""
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=_options())
    try:
        yield driver
    finally:
        driver.quit()


@contextlib.contextmanager
def netns_browser(netns: str, log: Path) -> Iterator[WebDriver]:
    """chromium and chromedriver inside netns; log: chromedriver's output."""
    with log.open("ab") as out:
        driver_process = subprocess.Popen(
            ["ip", "netns", "exec", netns, CHROMEDRIVER, f"--port={DRIVER_PORT}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with forwarded_port(netns, DRIVER_PORT) as port:
            url = f"http://127.0.0.1:{port}"
            wait_for("chromedriver", lambda: _answers(url), timeout=30, interval=0.2)
            driver = webdriver.Remote(command_executor=url, options=_options())
            # The browser shares this file system: a file input gets the path, not an upload.
            driver.file_detector = UselessFileDetector()
            try:
                yield driver
            finally:
                driver.quit()
    finally:
        driver_process.terminate()
        driver_process.wait(10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def screenshot(driver: WebDriver, directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
