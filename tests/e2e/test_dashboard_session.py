"""The dashboard's session and scope, in headless Chromium: a session the server no longer knows (401)
sends the user back to the sign-in form saying so in Vietnamese and English, with the token
forgotten and nothing of the session left on screen; a refusal of one thing (403, out of scope)
stays a message in its panel; the header names the user's scope by its unit's name and code."""
from __future__ import annotations

import pytest

from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (the Chromium fixture)
from tests.e2e.test_dashboard_work import set_value, sign_in, with_password
from tests.e2e.test_failures_shown import sign_in_to_the_dashboard
from tests.gateway.conftest import FAMILY, OTHER_MEMBER, OWN_MEMBER, system  # noqa: F401
from tests.support.services import http

pytestmark = pytest.mark.e2e

EXPIRED_VI = "Phiên đăng nhập đã hết hạn, hãy đăng nhập lại"
EXPIRED_EN = "Your session has expired, please sign in again"


def end_the_session_on_the_server(browser, system):  # noqa: F811
    """The server forgets the page's session (as when it runs out): its next request gets a 401."""
    token = browser.execute_script("return sessionStorage.getItem('dv_token')")
    assert token
    status, _ = http("POST", f"{system.url}/api/v1/logout", {}, {"Authorization": f"Bearer {token}",
                                                                 "Content-Type": "application/json"})
    assert status == 200


def nothing_of_the_session_left(browser, *private: str) -> None:
    board = browser.execute_script("return document.querySelector('#board').textContent")
    header = browser.execute_script("return document.querySelector('#who').textContent")
    for text in private:
        assert text not in board and text not in header, text
    assert browser.execute_script("return sessionStorage.getItem('dv_token')") is None
    assert not browser.find_element("id", "board").is_displayed()
    assert not browser.find_element("id", "who").is_displayed()
    assert not browser.execute_script(
        "return Array.from(document.querySelectorAll('#board .error')).map(e => e.textContent).join('')")


def expired_sign_in_shown(browser):
    error = wait_for(browser, "#login-error", EXPIRED_VI)
    assert EXPIRED_EN in error.text
    wait_for(browser, "#password-form")
    return error


def test_a_session_ended_while_the_reports_are_open_brings_back_the_sign_in_form(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    name = with_password(system, "e2e_expiring", "viewer", "TN-D1")
    sign_in(browser, system, name)
    wait_for(browser, "#panel-term table")
    wait_for(browser, "#panel-units table")
    browser.find_element(By.ID, "member-search").send_keys(FAMILY[0])
    browser.find_element(By.ID, "search-button").click()
    wait_for(browser, "#panel-search table", FAMILY[0])

    end_the_session_on_the_server(browser, system)
    set_value(browser, "#structure", "current")  # every panel asks again, each gets a 401
    expired_sign_in_shown(browser)
    nothing_of_the_session_left(browser, FAMILY[0], OWN_MEMBER, "Đảng bộ Xã 1.1", name)

    # signed in again on the same page, the dashboard is drawn afresh and the message is gone
    browser.find_element(By.ID, "login-name").clear()
    browser.find_element(By.ID, "login-name").send_keys(name)
    browser.find_element(By.ID, "login-password").send_keys("So-chi-bo-2026-mat-khau")
    browser.find_element(By.ID, "password-button").click()
    wait_for(browser, "#who-name", name)
    wait_for(browser, "#panel-term table")
    assert not browser.find_element(By.ID, "login").is_displayed()


def test_a_session_ended_on_a_members_page_forgets_the_member(system, browser):  # noqa: F811
    name = with_password(system, "e2e_expiring_2", "viewer", "TN-D1")
    sign_in(browser, system, name)
    wait_for(browser, "#panel-term table")
    browser.execute_script("location.hash = arguments[0]", f"#thanh-vien/{OWN_MEMBER}")
    wait_for(browser, "#member-page .record", FAMILY[0])

    end_the_session_on_the_server(browser, system)
    browser.execute_script("location.hash = '#thanh-vien/M000002'")  # the next member asked for: a 401
    expired_sign_in_shown(browser)
    nothing_of_the_session_left(browser, FAMILY[0], OWN_MEMBER)
    assert OWN_MEMBER not in browser.current_url


def test_a_refusal_out_of_scope_stays_in_its_panel(system, browser):  # noqa: F811
    sign_in_to_the_dashboard(browser, system, "d1_viewer")
    wait_for(browser, "#panel-term table")
    browser.execute_script("location.hash = arguments[0]", f"#thanh-vien/{OTHER_MEMBER}")
    error = wait_for(browser, "#member-page .body .error")
    assert error.text and EXPIRED_VI not in error.text
    assert browser.find_element("id", "who").is_displayed()
    assert not browser.find_element("id", "login").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('dv_token')")


def test_the_header_names_the_scope_by_its_unit_and_code(system, browser):  # noqa: F811
    sign_in_to_the_dashboard(browser, system, "d1_viewer")
    scope = wait_for(browser, "#who-scope", "Đảng bộ Huyện 1")
    assert "TN-D1" in scope.text
    assert scope.find_element("css selector", "code").text == "TN-D1"
    # drilling down does not change whose scope it is
    wait_for(browser, "#panel-units tr.unit-link").click()
    wait_for(browser, "#breadcrumb strong", "Đảng bộ Xã")
    assert wait_for(browser, "#who-scope").text == scope.text

    browser.execute_script("sessionStorage.clear()")
    sign_in_to_the_dashboard(browser, system, "prov_viewer")  # the whole province
    wait_for(browser, "#who-scope", "toàn tỉnh")


HOLD_THE_LABELS = """
(() => {
  const real = window.fetch;
  let release;
  const held = new Promise(resolve => { release = resolve; });
  window.releaseLabels = () => release();
  window.fetch = (url, options) => String(url).endsWith("/labels.json")
    ? held.then(() => real(url, options)) : real(url, options);
})();
"""


def test_a_token_entered_before_the_labels_arrive_signs_in_once_they_do(system, browser):  # noqa: F811
    """A slow server: the sign-in form is used before the page's labels have come. The form must
    not fall back to the browser's own submission (a reload that loses the token): the sign-in
    waits for the labels, then the dashboard is drawn with them."""
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD_THE_LABELS})
    browser.get(system.url + "/")
    browser.find_element(By.ID, "token").send_keys(system.tokens["d1_viewer"])
    browser.find_element(By.ID, "login-button").click()
    browser.execute_script("window.releaseLabels()")
    wait_for(browser, "#who-name", "d1_viewer")
    assert browser.find_element(By.ID, "who-role").text != "viewer"  # the role in words, from the labels
