"""The dashboard in headless Chromium (Debian's chromium + chromedriver), as a board member uses it:
log in with a token, read the term table and a chart, drill down to a cell, download an XLSX."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.gateway.conftest import system  # noqa: F401  (the running embedded system with demo data)

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("DANGVIEN_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium and chromedriver are required (DANGVIEN_REQUIRE_SERVICES=1)")
        pytest.skip("Debian's chromium/chromium-driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, css: str, text: str | None = None, timeout: float = 60, visible: bool = True):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    if text is not None:
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    # SVG shapes have no box selenium calls "visible": for them, being drawn is enough
    found = ec.visibility_of_element_located if visible else ec.presence_of_element_located
    return wait.until(found((By.CSS_SELECTOR, css)))


def test_board_member_logs_in_reads_the_term_table_drills_down_and_downloads(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    token = system.user_add("btv", "viewer", None)  # a Standing Committee member, whole province
    browser.get(system.url + "/")
    assert "Bảng điều hành" in browser.title

    browser.find_element(By.ID, "token").send_keys("dv_wrong")
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, "#login-error", "không đúng")

    browser.find_element(By.ID, "token").clear()
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, "#who-name", "btv")

    # the term table: each indicator with this term, the last one and the % change
    wait_for(browser, "#panel-term table")
    term = browser.find_element(By.CSS_SELECTOR, "#panel-term table").text
    assert "Đảng viên bị xóa tên" in term and "Tăng/giảm (%)" in term
    assert "Nhiệm kỳ 2020-2025" in browser.find_element(By.CSS_SELECTOR, "#panel-term .meta").text
    # a chart drawn next to it by Chart.js (served by the gateway), one bar per indicator and period
    wait_for(browser, "#chart-term canvas")
    drawn = browser.execute_script("const c = Chart.getChart(document.querySelector('#chart-term canvas'));"
                                   "return c.data.datasets.map(d => d.data.length);")
    assert len(drawn) == 2 and min(drawn) >= 4
    wait_for(browser, "#chart-trend canvas")
    # the causes table names each group once (its Vietnamese label), not in two columns
    wait_for(browser, "#panel-causes table tbody tr")
    causes = [[td.text for td in tr.find_elements(By.CSS_SELECTOR, "td")]
              for tr in browser.find_elements(By.CSS_SELECTOR, "#panel-causes table tbody tr")]
    assert causes and all(row[0] and row.count(row[0]) == 1 for row in causes), causes[:3]

    # drill down: province → direct committee → grassroots committee → cell
    for expected_kind in ("direct", "grassroots_committee", "cell"):
        row = wait_for(browser, f'#panel-units tr.unit-link[data-kind="{expected_kind}"]')
        name = row.find_element(By.CSS_SELECTOR, ".unit-name").text
        row.click()
        wait_for(browser, "#current-unit", name)
        wait_for(browser, "#breadcrumb strong", name)
    assert browser.find_elements(By.CSS_SELECTOR, "#breadcrumb a")  # the way back up
    wait_for(browser, "#panel-term .meta", "Chi bộ")  # the reports follow the drill-down

    # download the term table of this cell as XLSX and open it
    browser.find_element(By.CSS_SELECTOR, '#panel-term button.export[data-format="xlsx"]').click()
    deadline = time.monotonic() + 60
    files = []
    while time.monotonic() < deadline:
        files = [p for p in browser.downloads.glob("*.xlsx")]
        if files and not list(browser.downloads.glob("*.crdownload")):
            break
        time.sleep(0.2)
    assert files, "no XLSX was downloaded"
    from openpyxl import load_workbook
    sheet = load_workbook(files[0]).active
    assert sheet.title == "Thống kê nhiệm kỳ, năm"  # the one export writer (documents/tables.py)
    values = [list(r) for r in sheet.values]
    head = values.index(["Chỉ tiêu", "Kỳ này", "Kỳ so sánh", "Tăng/giảm"]) + 1  # Vietnamese headers, no keys
    assert values[0] == ["Thống kê nhiệm kỳ, năm", None, None, None]
    assert any(str(r[0]).startswith("Tổ chức đảng: Chi bộ") and "(mã " in str(r[0]) for r in values[:head])
    assert sheet.freeze_panes == f"A{head + 1}" and sheet.auto_filter.ref.startswith(f"A{head}:D")
    assert sheet.print_title_rows == f"${head}:${head}"
    removed = next(r for r in values[head:] if r[0] == "Đảng viên bị xóa tên")
    assert isinstance(removed[1], int) and isinstance(removed[2], int)  # real numbers
    assert "%" in sheet.cell(row=head + 1, column=4).number_format

    # the download is recorded in the access log with the reason shown on screen
    status, log = system.call("GET", "/api/v1/audit/access?actor=btv", "admin")
    assert status == 200 and any(e["action"] == "export" and e["endpoint"] == "reporting/term" and
                                 e["reason"] == "Theo dõi, báo cáo định kỳ" for e in log)
