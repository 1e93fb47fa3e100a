"""/docs in headless Chromium: Swagger UI, served by the gateway itself, renders the OpenAPI 3.1
document with every operation, and an operation opened shows its response example."""
from __future__ import annotations

import pytest

from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (fixture and helper)
from tests.gateway.conftest import system  # noqa: F401

pytestmark = pytest.mark.e2e


def test_an_integrator_reads_the_api_reference_and_an_operation_with_its_example(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(system.url + "/docs")
    assert "Tài liệu API" in browser.title
    wait_for(browser, ".swagger-ui .info .title", "dangvien")
    wait_for(browser, '.opblock-summary-path[data-path="/api/v1/events"]')
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(operations) >= 85
    browser.find_element(By.CSS_SELECTOR, '.opblock-summary-path[data-path="/api/v1/events"]').click()
    wait_for(browser, ".opblock.is-open .responses-wrapper", "next_after")
    # nothing on the page came from elsewhere: every script and stylesheet is the gateway's
    sources = browser.execute_script(
        "return [...document.scripts].map(s => s.src).concat("
        "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href))")
    assert sources and all(s.startswith(system.url) for s in sources if s), sources
