"""The integrity alert on screen, in headless Chromium against a running `dangvien up`: a staff member
reading the headcount tree, a member's record or a cell's meeting roster is told — in a banner that
stays while they move between views and pages — that the members store fails its tamper check, in
the words the exports print first; a clean system shows no banner, and the banner goes once the
store verifies intact again."""
from __future__ import annotations

import contextlib
import sqlite3

import pytest

from tests.e2e import test_dashboard
from tests.e2e.test_dashboard import wait_for
from tests.gateway.conftest import running_system
from tests.support.services import free_port, http, wait_until

pytestmark = pytest.mark.e2e
browser = test_dashboard.browser  # the Chromium fixture

#: what the exports write first while the members store fails (shared.labels.integrity_words)
WARNING_VI = "CẢNH BÁO: kho sự kiện members không qua kiểm tra toàn vẹn — số liệu có thể đã bị sửa"
WARNING_EN = "WARNING: event store members fails integrity verification — figures may have been tampered with"


@pytest.fixture
def watched(tmp_path):
    """A system whose tamper watch runs every 0.2 s (a whole-log pass every few seconds)."""
    ops = free_port()
    with running_system(tmp_path, DANGVIEN_INTEGRITY_INTERVAL_SECONDS="0.2", DANGVIEN_METRICS_PORT=str(ops)) as s:
        s.ops = f"http://127.0.0.1:{ops}"
        yield s


def members_state(system) -> str | None:
    return http("GET", f"{system.ops}/readyz")[1]["integrity"].get("members", {}).get("state")


def banner(driver) -> str:
    """The integrity banner's text as shown on screen ("" when there is none)."""
    return driver.execute_script(
        "const b = document.getElementById('integrity-alert');"
        "return b && !b.hidden && b.offsetParent !== null ? b.innerText : '';")


def edit_admission(system, old: str, new: str) -> None:
    """The insider: a member's admission edited in the SQLite store (a year of birth, which the ages
    in the reports count), its hash left as it was."""
    with contextlib.closing(sqlite3.connect(system.data_dir / "members.events.db")) as db, db:
        position, data = db.execute("SELECT position, data FROM events WHERE type = 'member.admitted' "
                                    "AND json_extract(data, '$.member_id') = 'M000002'").fetchone()
        assert old in data
        db.execute("UPDATE events SET data = ? WHERE position = ?", (data.replace(old, new), position))


def test_a_tampered_store_is_announced_on_every_view_and_page_until_it_verifies_again(watched, browser):
    from selenium.webdriver.common.by import By

    wait_until(lambda: members_state(watched) == "intact", 120, what="members intact")
    browser.get(watched.url + "/")
    browser.find_element(By.ID, "token").send_keys(watched.tokens["prov_viewer"])
    browser.find_element(By.ID, "login-button").click()
    # a clean system: the tree and the reports drawn, no banner; nor on the cell book's roster
    wait_for(browser, '#panel-units tr.unit-link[data-unit="TN-D1"]')
    wait_for(browser, "#panel-term table")
    wait_for(browser, "#panel-warnings .body table, #panel-warnings .body .empty")
    assert banner(browser) == ""
    browser.get(watched.url + "/static/chi-bo.html")
    wait_for(browser, "#cell-app")
    browser.find_element(By.ID, "m-load").click()
    wait_for(browser, "#m-roster li[data-member]")
    assert banner(browser) == ""

    # the members store is edited while the system runs; the watch finds it
    edit_admission(watched, '"birth_year":1980', '"birth_year":1990')
    wait_until(lambda: members_state(watched) == "failed", 120, what="members failed")

    # the list on screen asked again (the meeting roster): the alert comes with it
    browser.execute_script("document.getElementById('m-roster').innerHTML = ''")
    browser.find_element(By.ID, "m-load").click()
    wait_for(browser, "#m-roster li[data-member]")
    wait_until(lambda: WARNING_EN in banner(browser), 30, what="the banner on the meeting roster")
    text = banner(browser)
    assert "Cảnh báo toàn vẹn dữ liệu" in text and "Integrity warning" in text
    assert WARNING_VI in text and "(xem dangvien audit verify)" in text

    # the dashboard: the headcount tree one level down carries it too
    browser.execute_script("sessionStorage.removeItem('dv_integrity')")  # nothing carried over
    browser.get(watched.url + "/")
    wait_for(browser, '#panel-units tr.unit-link[data-unit="TN-D1"]').click()
    wait_for(browser, "#current-unit", "Đảng bộ Huyện 1")
    wait_until(lambda: WARNING_EN in banner(browser), 60, what="the banner on the headcount tree")
    text = banner(browser)
    assert "Cảnh báo toàn vẹn dữ liệu" in text and "Integrity warning" in text and WARNING_VI in text
    box = browser.find_element(By.ID, "integrity-alert")
    assert box.get_attribute("role") == "alert" and box.get_attribute("data-stores") == "members"

    # another view of the same page (a member's record), and back: the banner stays
    browser.execute_script("location.hash = '#thanh-vien/M000001'")
    wait_for(browser, "#member-page dl.record")
    assert WARNING_VI in banner(browser)
    browser.find_element(By.ID, "member-back").click()
    wait_for(browser, "#reports")
    assert WARNING_VI in banner(browser)

    # the row put back: the next whole-log pass finds the store intact, the next answers clear it
    edit_admission(watched, '"birth_year":1990', '"birth_year":1980')
    wait_until(lambda: members_state(watched) == "intact", 120, what="members intact again")
    browser.find_element(By.CSS_SELECTOR, "#breadcrumb a").click()  # back up to the province
    wait_for(browser, '#panel-units tr.unit-link[data-unit="TN-D1"]')
    wait_until(lambda: banner(browser) == "", 60, what="the banner gone")
    wait_for(browser, "#panel-term table")
    assert banner(browser) == ""
