"""The dashboard as office staff work in it, in headless Chromium: sign in with a name and a password,
find a member and open their page, sort and page the warnings, pick an as-of date, print, and all of
it on a 1366 px screen without scrolling sideways."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (the Chromium fixture)
from tests.gateway.conftest import system  # noqa: F401  (the running embedded system with its tree)
from tests.support.services import base_env, cli

pytestmark = pytest.mark.e2e

PASSWORD = "So-chi-bo-2026-mat-khau"


def with_password(system, name: str, role: str, scope: str | None) -> str:  # noqa: F811
    system.user_add(name, role, scope)
    done = subprocess.run(cli("user", "password", name, "--password-stdin", "--data-dir", str(system.data_dir)),
                          input=PASSWORD + "\n", env=base_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return name


def sign_in(browser, system, name: str, password: str = PASSWORD):  # noqa: F811
    from selenium.webdriver.common.by import By
    browser.get(system.url + "/")
    browser.find_element(By.ID, "login-name").clear()
    browser.find_element(By.ID, "login-name").send_keys(name)
    browser.find_element(By.ID, "login-password").send_keys(password)
    browser.find_element(By.ID, "password-button").click()


def set_value(driver, css: str, value: str) -> None:
    driver.execute_script("const e = document.querySelector(arguments[0]); e.value = arguments[1];"
                          "e.dispatchEvent(new Event('change'));", css, value)


def visible_rows(browser, css: str) -> list[str]:
    from selenium.webdriver.common.by import By
    return [tr.text for tr in browser.find_elements(By.CSS_SELECTOR, f"{css} tbody tr") if tr.is_displayed()]


def shown_rows(browser, css: str) -> int:
    """How many rows of the table the current media shows (one look, no element handles kept)."""
    return browser.execute_script("return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr'))"
                                  ".filter(tr => getComputedStyle(tr).display !== 'none').length", css)


def no_sideways_scroll(browser) -> tuple[int, int]:
    return tuple(browser.execute_script("return [document.documentElement.scrollWidth, "
                                        "document.documentElement.clientWidth]"))


def test_sign_in_with_name_and_password(system, browser):  # noqa: F811
    name = with_password(system, "e2e_staff", "viewer", "TN-D1")
    sign_in(browser, system, name, PASSWORD + "-sai")
    wait_for(browser, "#login-error", "Tên đăng nhập hoặc mật khẩu không đúng")
    sign_in(browser, system, "e2e_nobody", PASSWORD)  # an unknown name reads the same
    wait_for(browser, "#login-error", "Tên đăng nhập hoặc mật khẩu không đúng")
    sign_in(browser, system, name)
    wait_for(browser, "#who-name", name)
    wait_for(browser, "#who-role", "Xem báo cáo")
    assert browser.execute_script("return document.querySelector('#login-password').value") == ""
    # signing out ends the session: the stored token no longer opens the API
    token = browser.execute_script("return sessionStorage.getItem('dv_token')")
    browser.find_element("id", "logout").click()
    wait_for(browser, "#login-name")
    from tests.support.services import http
    assert http("GET", f"{system.url}/api/v1/me", None, {"Authorization": f"Bearer {token}"})[0] == 401


def test_search_a_member_and_open_their_page_with_the_audit_trail(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    name = with_password(system, "e2e_inspector", "inspector", "TN-D1")
    sign_in(browser, system, name)
    wait_for(browser, "#panel-units table")
    box = browser.find_element(By.ID, "member-search")
    box.send_keys("tran thi binh")  # without diacritics
    browser.find_element(By.ID, "search-button").click()
    wait_for(browser, "#panel-search .meta", "người")
    rows = visible_rows(browser, "#panel-search")
    assert rows and all("Trần Thị Bình" in r for r in rows)
    assert all("TN-D1-" in r for r in rows) and not any("TN-D2" in r for r in rows)  # only the district
    # the same cell names repeat in every commune: each row shows the cell's code and its parent
    first = next(r for r in rows if "TN-D1-G1-C1" in r)
    assert "Chi bộ Ấp 1.1.1" in first and "thuộc Đảng bộ Xã 1.1" in first and "TN-D1-G1" in first

    link = browser.find_element(By.CSS_SELECTOR, "#panel-search a.member-link")
    member = link.get_attribute("href").rsplit("/", 1)[-1]
    link.click()
    wait_for(browser, "#member-page .meta", "Trần Thị Bình")
    record = wait_for(browser, "#member-page dl.record").text
    assert "Họ và tên" in record and "Nữ" in record and "Ngày sinh" in record
    assert not re.search(r"\b[a-z]+(_[a-z]+)+\b|\bsex\b", record), record  # no field names, no codes
    wait_for(browser, "#member-page .trail table")
    trail = browser.find_element(By.CSS_SELECTOR, "#member-page .trail").text
    assert "Kết nạp đảng viên" in trail and "member.admitted" not in trail
    assert re.search(r"\d{2}/\d{2}/\d{4}", trail)
    assert not browser.find_element(By.ID, "reports").is_displayed()
    # the read was recorded in the access log under this user's name
    status, log = system.call("GET", f"/api/v1/audit/access?actor={name}&member_id={member}", "admin")
    assert status == 200 and {"members/get_member", "members/search_members"} <= {e["endpoint"] for e in log}
    browser.find_element(By.ID, "member-back").click()
    wait_for(browser, "#panel-units")


def test_sort_and_page_the_warnings(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    sign_in(browser, system, with_password(system, "e2e_board", "viewer", None))
    count = wait_for(browser, "#panel-warnings .dt-count", "trên")
    total = int(re.search(r"trên (\d+)", count.text)[1])
    assert total > 20, count.text  # more than one page of 20
    assert count.text.startswith("Dòng 1–20 trên")
    assert len(visible_rows(browser, "#panel-warnings")) == 20
    # codes read as words
    panel = browser.find_element(By.ID, "panel-warnings").text
    assert not re.search(r"\b(removal_ground|warning|overdue|unexcused_absences|recognition_overdue)\b", panel)

    header = browser.find_element(By.CSS_SELECTOR, '#panel-warnings th[data-key="org_unit_id"]')
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    up = visible_rows(browser, "#panel-warnings")
    header = browser.find_element(By.CSS_SELECTOR, '#panel-warnings th[data-key="org_unit_id"]')
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    down = visible_rows(browser, "#panel-warnings")
    assert up != down

    browser.find_element(By.CSS_SELECTOR, "#panel-warnings .dt-next").click()
    wait_for(browser, "#panel-warnings .dt-page", "Trang 2/")
    second = visible_rows(browser, "#panel-warnings")
    assert second and not set(second) & set(down)
    assert browser.find_element(By.CSS_SELECTOR, "#panel-warnings .dt-count").text.startswith("Dòng 21–")

    # filter: every word must appear; the count says how many of how many
    f = browser.find_element(By.CSS_SELECTOR, "#panel-warnings .dt-filter")
    f.send_keys("Ấp 2.1.1")
    WebDriverWait(browser, 10).until(lambda d: "lọc từ" in d.find_element(
        By.CSS_SELECTOR, "#panel-warnings .dt-count").text)
    assert all("2.1.1" in r for r in visible_rows(browser, "#panel-warnings"))


def test_a_long_warnings_list_comes_a_server_page_at_a_time_and_exports_whole(system, browser):  # noqa: F811
    """A province's list runs to many thousands of rows: the dashboard asks the server for one part
    (1,000 rows; 5 here, so the test's small province has several parts), pages on from there,
    and an export still takes the whole list."""
    from selenium.webdriver.common.by import By
    sign_in(browser, system, with_password(system, "e2e_parts", "viewer", None))
    wait_for(browser, "#panel-warnings .dt-count", "trên")
    whole = int(re.search(r"trên (\d+)", browser.find_element(By.CSS_SELECTOR, "#panel-warnings .dt-count").text)[1])
    assert whole > 5
    browser.execute_script("state.warningsPageSize = 5; refresh();")
    part = wait_for(browser, "#panel-warnings .sp-count", "trên tổng")
    assert re.search(r"Cảnh báo 1–5 trên tổng (\d+)", part.text)[1] == str(whole)  # the same list, told whole
    assert f"(phần 1/{-(-whole // 5)})" in part.text
    first = visible_rows(browser, "#panel-warnings")
    assert len(first) == 5
    assert not browser.find_element(By.CSS_SELECTOR, "#panel-warnings .sp-prev").is_enabled()
    browser.find_element(By.CSS_SELECTOR, "#panel-warnings .sp-next").click()
    wait_for(browser, "#panel-warnings .sp-count", "Cảnh báo 6–")
    second = visible_rows(browser, "#panel-warnings")
    assert second and not set(second) & set(first)
    # the export asks for the whole list, not the part on screen
    asked = browser.execute_script("""
        const seen = []; const real = window.fetch;
        window.fetch = (url, o) => { seen.push(String(url)); return new Promise(() => {}); /* held open: a failed export now raises an alert */ };
        document.querySelector('#panel-warnings button.export[data-format="csv"]').click();
        window.fetch = real; return seen;""")
    assert asked and all("page" not in url for url in asked), asked
    browser.execute_script("state.warningsPageSize = 1000;")


def test_pick_an_as_of_date(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    sign_in(browser, system, with_password(system, "e2e_asof", "viewer", None))
    wait_for(browser, "#panel-term table")
    # typed as people write a day, dd/mm/yyyy, and shown so (the browser's date field wrote mm/dd/yyyy)
    from selenium.webdriver.common.keys import Keys
    field = browser.find_element(By.ID, "as-of")
    assert field.get_attribute("placeholder") == "dd/mm/yyyy"
    field.send_keys("31/03/2020", Keys.TAB)
    wait_for(browser, "#tree-day", "31/03/2020")
    assert field.get_attribute("value") == "31/03/2020"
    wait_for(browser, "#panel-term .meta", "số liệu đến 31/03/2020")
    wait_for(browser, "#panel-warnings .meta", "số liệu đến 31/03/2020")  # the warnings follow the choice
    # no such day: said in Vietnamese and English, and nothing redrawn for it
    set_value(browser, "#as-of", "31/02/2020")
    message = browser.execute_script("return document.querySelector('#as-of').validationMessage")
    assert "dd/mm/yyyy" in message and "Ngày phải" in message and "Date must" in message
    assert browser.find_element(By.ID, "tree-day").text == "31/03/2020"
    # a term without an as-of date: the warnings are drawn at the term's end
    set_value(browser, "#as-of", "")
    set_value(browser, "#term", "2015-2020")
    wait_for(browser, "#panel-warnings .meta", "số liệu đến 30/09/2020")
    assert browser.find_element(By.ID, "tree-day").text == "30/09/2020"


def test_print_view_shows_every_row_and_no_controls(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    sign_in(browser, system, with_password(system, "e2e_print", "viewer", None))
    count = wait_for(browser, "#panel-warnings .dt-count", "trên")
    total = int(re.search(r"trên (\d+)", count.text)[1])
    assert total > 20 and shown_rows(browser, "#panel-warnings") == 20
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert shown_rows(browser, "#panel-warnings") == total  # every page on paper
        for css in ("nav.controls", "#panel-warnings .dt-tools", "#panel-warnings .exports", "#logout"):
            assert not browser.find_element(By.CSS_SELECTOR, css).is_displayed(), css
        assert browser.find_element(By.CSS_SELECTOR, "#panel-term h2").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown_rows(browser, "#panel-warnings") == 20  # back on screen: one page


def test_fits_1366_px_without_sideways_scroll_with_whole_chart_labels(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    browser.set_window_size(1366, 900)
    sign_in(browser, system, with_password(system, "e2e_narrow", "viewer", None))
    wait_for(browser, "#panel-meetings table")
    wait_for(browser, "#panel-movement table")
    wait_for(browser, "#chart-units canvas")
    width, client = no_sideways_scroll(browser)
    assert client <= 1366 and width <= client, (width, client)
    # the unit chart's labels: whole names with their codes, and room for them left of the bars
    chart = browser.execute_script("""
        const c = Chart.getChart(document.querySelector('#chart-units canvas'));
        return {labels: c.data.labels, left: c.scales.y.left, right: c.scales.y.right, area: c.chartArea.left,
                widest: Math.max(...c.scales.y.ticks.map((t, i) => c.scales.y._labelSizes.widths[i] || 0))};""")
    assert chart["labels"] and all(f"({code})" in label[0] for label, code in
                                   zip(chart["labels"], ("TN-D1", "TN-D2")))
    assert chart["left"] >= 0 and chart["right"] <= chart["area"] and chart["widest"] <= chart["right"] - chart["left"]
    # numbers the way Vietnamese write them: a decimal comma
    text = browser.find_element(By.ID, "board").text
    assert re.search(r"\d,\d{2}", text) and not re.search(r"\d\.\d{2} %", text)
    # the member page fits too
    browser.find_element(By.ID, "member-search").send_keys("Nguyễn Văn An")
    browser.find_element(By.ID, "search-button").click()
    wait_for(browser, "#panel-search a.member-link").click()
    wait_for(browser, "#member-page dl.record")
    width, client = no_sideways_scroll(browser)
    assert width <= client, (width, client)
