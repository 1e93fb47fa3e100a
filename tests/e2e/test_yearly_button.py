"""The dashboard's yearly-report button (D8) in headless Chromium: the DOCX of the unit on screen."""
from __future__ import annotations

import time

import pytest
from docx import Document

from documents.yearly import embed
from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (fixture and helper)
from tests.gateway.conftest import system  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_district_viewer_downloads_the_yearly_report_of_their_unit(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(system.url + "/")
    browser.find_element(By.ID, "token").send_keys(system.tokens["d1_viewer"])
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, "#who-name", "d1_viewer")
    wait_for(browser, "#panel-yearly")
    year = browser.find_element(By.ID, "yearly-year")
    year.clear()
    year.send_keys("2025")
    browser.find_element(By.ID, "yearly-docx").click()
    wait_for(browser, "#yearly-status", "Đã tạo", timeout=600)
    deadline = time.monotonic() + 60
    files = []
    while time.monotonic() < deadline:
        files = list(browser.downloads.glob("*.docx"))
        if files and not list(browser.downloads.glob("*.crdownload")):
            break
        time.sleep(0.2)
    assert [f.name for f in files] == ["bao-cao-nam-2025-TN-D1.docx"]
    d = Document(str(files[0]))
    assert "Kính gửi: Ban Thường vụ Tỉnh ủy" in [p.text for p in d.paragraphs]
    figures = embed.read(files[0].read_bytes())
    assert figures["params"]["org_unit_id"] == "TN-D1" and figures["params"]["year"] == 2025
