"""The dashboard on a restructured province, in headless Chromium (issue 14): a district dissolved on
1/7/2025, its grassroots committees moved directly under the province. A board member reading
2022 drills into the district (as it stood) and sees its removal; on the current structure, or on
a date after the restructuring, the district is gone and its committees hang under the province."""
from __future__ import annotations

import json

import pytest

from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (the Chromium fixture)
from tests.gateway.conftest import running_system
from tests.support.services import http

pytestmark = pytest.mark.e2e

RESTRUCTURING = [
    {"type": "member.removed", "occurred_on": "2022-05-10", "data": {"member_id": "M000013", "ground": "no_progress"}},
    {"type": "org_unit.moved", "occurred_on": "2025-07-01", "data": {"org_unit_id": "TN-D2-G1", "parent_id": "TN"}},
    {"type": "org_unit.moved", "occurred_on": "2025-07-01", "data": {"org_unit_id": "TN-D2-G2", "parent_id": "TN"}},
    {"type": "org_unit.dissolved", "occurred_on": "2025-07-01",
     "data": {"org_unit_id": "TN-D2", "reason": "administrative"}},
]


@pytest.fixture(scope="module")
def restructured(tmp_path_factory):
    with running_system(tmp_path_factory.mktemp("structure")) as s:
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in RESTRUCTURING)
        status, body = http("POST", f"{s.url}/api/v1/imports", None,
                            {"Authorization": f"Bearer {s.tokens['admin']}", "Content-Type": "application/x-ndjson"},
                            raw=text.encode("utf-8"))
        assert status == 201, body
        yield s


def set_value(driver, css: str, value: str) -> None:
    driver.execute_script("const e = document.querySelector(arguments[0]); e.value = arguments[1];"
                          "e.dispatchEvent(new Event('change'));", css, value)


def unit_rows(driver) -> dict[str, str]:
    """The unit list's rows; while the panel is being redrawn, an empty answer (wait and look again)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    try:
        return {tr.get_attribute("data-unit"): tr.text
                for tr in driver.find_elements(By.CSS_SELECTOR, "#panel-units tr.unit-link")}
    except StaleElementReferenceException:
        return {}


def test_drill_into_a_dissolved_district_as_it_stood_and_not_on_todays_tree(restructured, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(restructured.url + "/")
    browser.find_element(By.ID, "token").send_keys(restructured.tokens["admin"])
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, "#panel-units table")

    # 2022, structure as it stood: both districts under the province; 12 − 1 removed in District 2
    set_value(browser, "#year", "2022")
    wait_for(browser, "#tree-day", "31/12/2022")

    def as_stood_2022(d) -> bool:
        rows = unit_rows(d)
        return "TN-D2" in rows and "TN-D2-G1" not in rows and "11" in rows["TN-D2"].split()
    WebDriverWait(browser, 60).until(as_stood_2022)
    browser.find_element(By.CSS_SELECTOR, '#panel-units tr.unit-link[data-unit="TN-D2"]').click()
    wait_for(browser, "#current-unit", "Đảng bộ Huyện 2")
    wait_for(browser, "#panel-term .meta", "Đảng bộ Huyện 2")
    wait_for(browser, "#panel-term .meta", "tại thời điểm phát sinh")
    term = browser.find_element(By.CSS_SELECTOR, "#panel-term table").text
    removed = next(line for line in term.splitlines() if "bị xóa tên" in line)
    assert removed.split()[5] == "1", removed  # this year 1, the year before 0

    # the current structure: the dissolved district's history is its committees', now under the province
    browser.find_element(By.CSS_SELECTOR, "#breadcrumb a").click()
    wait_for(browser, "#current-unit", "Đảng bộ tỉnh Tây Ninh")
    set_value(browser, "#structure", "current")
    WebDriverWait(browser, 60).until(lambda d: "TN-D2-G1" in unit_rows(d) and "TN-D2" not in unit_rows(d))
    wait_for(browser, "#panel-term .meta", "hiện nay")

    # as it stood on 1/7/2025 (the day of the restructuring): the district is gone from that day
    set_value(browser, "#structure", "as_stood")
    set_value(browser, "#as-of", "01/07/2025")
    wait_for(browser, "#tree-day", "01/07/2025")
    WebDriverWait(browser, 60).until(lambda d: "TN-D2-G1" in unit_rows(d) and "TN-D2" not in unit_rows(d))
    set_value(browser, "#as-of", "30/06/2025")  # the day before: still there
    wait_for(browser, "#tree-day", "30/06/2025")
    WebDriverWait(browser, 60).until(lambda d: "TN-D2" in unit_rows(d) and "TN-D2-G1" not in unit_rows(d))
