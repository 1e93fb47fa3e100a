"""The spreadsheet upload page in headless Chromium: an administrator checks a list, sees the
refused cell, fixes the file, imports it, and the members are counted."""
from __future__ import annotations

import pytest

from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (the Chromium fixture)
from tests.gateway.conftest import running_system
from tests.gateway.test_sheet_import import COMMITTEE, headcount, members_xlsx, people_of
from services.gateway.sheets.plan import unit_id_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def own_system(tmp_path_factory):
    with running_system(tmp_path_factory.mktemp("upload")) as s:
        yield s


def test_administrator_checks_then_imports_a_list_from_the_page(own_system, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(own_system.url + "/")
    browser.find_element(By.ID, "token").send_keys(own_system.tokens["admin"])
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, "#who-name", "admin")
    browser.find_element(By.ID, "link-sheet").click()
    wait_for(browser, "#sheet-form")

    bad = members_xlsx(tmp_path / "loi.xlsx", people_of(8), lambda i: "Chi bộ Ấp Tám", bad={"C5": "31/02/1990"})
    browser.find_element(By.ID, "sheet-file").send_keys(str(bad))
    Select(browser.find_element(By.ID, "sheet-kind")).select_by_value("members")
    browser.find_element(By.ID, "sheet-into").send_keys(COMMITTEE)
    browser.find_element(By.ID, "sheet-create").click()
    browser.find_element(By.ID, "sheet-check").click()
    wait_for(browser, "#sheet-status", "bị từ chối")
    assert "was refused" in browser.find_element(By.ID, "sheet-status").text  # in both languages
    refused = browser.find_element(By.ID, "sheet-result").text
    assert "DS dang vien!C5" in refused
    assert "không phải ngày có thật" in refused and "is not a real date" in refused, refused

    good = members_xlsx(tmp_path / "dung.xlsx", people_of(8), lambda i: "Chi bộ Ấp Tám")
    browser.find_element(By.ID, "sheet-file").send_keys(str(good))
    browser.find_element(By.ID, "sheet-check").click()
    wait_for(browser, "#sheet-status", "Kiểm tra danh sách đảng viên: 3 dòng có thay đổi")
    cell = unit_id_for(COMMITTEE, None, "Chi bộ Ấp Tám")
    assert cell not in headcount(own_system, COMMITTEE)  # the check wrote nothing, not even the cell
    # the answer comes late, as on a slow line: meanwhile neither button can send the file again
    browser.execute_script("""
      const real = window.fetch;
      window.fetch = (url, opts) => String(url).includes('/imports/sheet')
        ? new Promise(ok => setTimeout(() => ok(real(url, opts)), 1500)) : real(url, opts);""")
    browser.find_element(By.ID, "sheet-import").click()
    assert browser.execute_script("return [document.getElementById('sheet-import').disabled,"
                                  " document.getElementById('sheet-check').disabled]") == [True, True]
    wait_for(browser, "#sheet-status", "Đã nhập danh sách đảng viên")
    assert headcount(own_system, COMMITTEE)[cell] == 3
    assert browser.find_element(By.ID, "sheet-import").is_enabled()


def test_the_page_shows_the_imports_progress_while_the_upload_runs(own_system, browser, tmp_path):  # noqa: F811
    """The page follows the upload's job (POST /import-jobs, then ``job=``) and shows its phase in
    Vietnamese while the answer has not come. No timing: the test holds the upload in the browser —
    first the request (the job is fresh: the file being read), then its answer (the job, polled
    meanwhile, is done) — and lets each go once the page shows the job's state."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(own_system.url + "/")
    browser.execute_script("sessionStorage.setItem('dv_token', arguments[0])", own_system.tokens["admin"])
    browser.get(own_system.url + "/static/nhap-danh-sach.html")
    wait_for(browser, "#sheet-form")
    browser.execute_script("""
      const real = window.fetch;
      window.fetch = (url, opts) => !String(url).includes('/imports/sheet') ? real(url, opts)
        : new Promise(go => { window.sendHeld = go; })
            .then(() => real(url, opts))
            .then(res => new Promise(answer => { window.answerHeld = () => answer(res); }));""")
    path = members_xlsx(tmp_path / "tien-do.xlsx", people_of(9), lambda i: "Chi bộ Ấp Chín")
    browser.find_element(By.ID, "sheet-file").send_keys(str(path))
    Select(browser.find_element(By.ID, "sheet-kind")).select_by_value("members")
    browser.find_element(By.ID, "sheet-into").send_keys(COMMITTEE)
    browser.find_element(By.ID, "sheet-create").click()
    browser.find_element(By.ID, "sheet-import").click()
    wait_for(browser, "#sheet-progress", "Đang đọc tệp")  # the job made and polled; the file not sent yet
    browser.execute_script("window.sendHeld()")
    # the import ran on the server; its answer is held, and the page shows the job as polled
    wait_for(browser, "#sheet-progress", "Xong")
    assert "Đã nhập" not in browser.find_element(By.ID, "sheet-status").text
    browser.execute_script("window.answerHeld()")
    wait_for(browser, "#sheet-status", "Đã nhập danh sách đảng viên")
    assert headcount(own_system, COMMITTEE)[unit_id_for(COMMITTEE, None, "Chi bộ Ấp Chín")] == 3
