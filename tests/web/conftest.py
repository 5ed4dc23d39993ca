"""One Mini unit and one real browser (chromium in the unit's network namespace) for the
web page tests; screenshots go to build/test-logs/web/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from testbed.browser import netns_browser
from testbed.pbx_unit import Unit, running_unit


@pytest.fixture(scope="package")
def mini_unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unit]:
    workdir = tmp_path_factory.mktemp("web-unit")
    netns = f"orpheus-web-{os.getpid()}"
    # Every address of the namespace (it has only loopback): the access-list test reaches the
    # page from an address of its own, which loopback's exemption does not cover.
    settings: dict[str, object] = {"http_address": "0.0.0.0"}
    with running_unit(rootfs, workdir, netns, "mini", "ORP-WEB-0001", settings) as unit:
        yield unit


@pytest.fixture(scope="package")
def browser(mini_unit: Unit) -> Iterator[WebDriver]:
    log = mini_unit.agent.workdir / "chromedriver.log"
    with netns_browser(mini_unit.agent.netns, log) as driver:
        driver.set_page_load_timeout(60)
        yield driver
