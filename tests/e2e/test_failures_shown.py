"""What a user sees when something goes wrong, in headless Chromium: a refused form names the field
in Vietnamese and English next to it; a server that cannot be reached is said so (in both
languages) on the login, the forms, the yearly report and the export buttons — never a page that
stays as it was, nor a browser's English "Failed to fetch"."""
from __future__ import annotations

import pytest

from tests.e2e.test_cell_entry import login
from tests.e2e.test_dashboard import browser, wait_for  # noqa: F401  (the Chromium fixture)
from tests.gateway.conftest import system  # noqa: F401  (the running embedded system with demo data)

pytestmark = pytest.mark.e2e

UNREACHABLE = "Không kết nối được máy chủ"
UNREACHABLE_EN = "Cannot reach the server"

# the line is cut: every request the page makes from now on fails as when the server is down
CUT_THE_LINE = "window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));"


def alert_text(driver) -> str:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    alert = WebDriverWait(driver, 30).until(ec.alert_is_present())
    text = alert.text
    alert.accept()
    return text


def sign_in_to_the_dashboard(driver, system, user):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver.get(system.url + "/")
    driver.find_element(By.ID, "token").send_keys(system.tokens[user])
    driver.find_element(By.ID, "login-button").click()
    wait_for(driver, "#who-name", user)


def test_a_refused_field_shows_the_servers_bilingual_message_next_to_it(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    token = system.user_add("qa_forms_clerk", "clerk", "TN-D1-G1")
    login(browser, system, token, "/static/bieu-mau.html")
    wait_for(browser, "#f-command option")
    Select(browser.find_element(By.ID, "f-command")).select_by_value("start_working_away")
    wait_for(browser, '#f-form[data-command="start_working_away"] #f-place')
    date = browser.find_element(By.ID, "f-occurred_on")
    date.clear()
    date.send_keys("31/02/2026")  # no such day
    browser.find_element(By.ID, "f-member_id").send_keys("M000003")
    browser.find_element(By.ID, "f-place").send_keys("Bình Dương")
    browser.find_element(By.ID, "f-send").click()
    # the message stands next to the field it names, in both languages, and the field is marked
    note = wait_for(browser, "#f-occurred_on-error")
    field = browser.find_element(By.ID, "f-occurred_on")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-occurred_on-error" in (field.get_attribute("aria-describedby") or "").split()
    assert browser.execute_script("return arguments[0].closest('label').contains(arguments[1])", field, note)
    assert " — " in note.text, note.text  # Vietnamese — English
    summary = browser.find_element(By.ID, "f-error").text
    assert summary and " — " in summary, summary  # the Vietnamese message and the English one
    # corrected, the form is sent and the note goes away
    date.clear()
    date.send_keys("01/02/2026")
    browser.find_element(By.ID, "f-send").click()
    wait_for(browser, "#f-result", "Đã ghi 1 sự kiện")
    assert not browser.find_elements(By.ID, "f-occurred_on-error")
    assert field.get_attribute("aria-invalid") in (None, "false")


def test_a_form_sent_while_the_server_is_down_says_so(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    token = system.user_add("qa_forms_clerk_2", "clerk", "TN-D1-G1")
    login(browser, system, token, "/static/bieu-mau.html")
    wait_for(browser, "#f-form[data-command] input")
    browser.execute_script(CUT_THE_LINE)
    browser.find_element(By.ID, "f-send").click()
    error = wait_for(browser, "#f-error", UNREACHABLE)
    assert UNREACHABLE_EN in error.text


def test_the_forms_page_opened_while_the_server_is_down_says_so(system, browser):  # noqa: F811
    token = system.user_add("qa_forms_clerk_3", "clerk", "TN-D1-G1")
    login(browser, system, token, "/static/bieu-mau.html")
    wait_for(browser, "#f-app")
    # the same page opened again with the line cut before its script runs
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CUT_THE_LINE})
    browser.refresh()
    error = wait_for(browser, "#f-load-error", UNREACHABLE)
    assert UNREACHABLE_EN in error.text


def test_signing_in_while_the_server_is_down_says_so(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(system.url + "/")
    wait_for(browser, "#token")
    browser.execute_script(CUT_THE_LINE)
    browser.find_element(By.ID, "token").send_keys(system.tokens["d1_viewer"])
    browser.find_element(By.ID, "login-button").click()
    error = wait_for(browser, "#login-error", UNREACHABLE)
    assert UNREACHABLE_EN in error.text and "Failed to fetch" not in error.text

    browser.execute_script("sessionStorage.clear()")  # the cell page's own sign-in, not the token above
    browser.get(system.url + "/static/chi-bo.html")
    wait_for(browser, "#cell-token")
    browser.execute_script(CUT_THE_LINE)
    browser.find_element(By.ID, "cell-token").send_keys(system.tokens["d1_viewer"])
    browser.find_element(By.CSS_SELECTOR, "#cell-login-form button").click()
    error = wait_for(browser, "#cell-login-error", UNREACHABLE)
    assert UNREACHABLE_EN in error.text


def test_the_yearly_report_and_an_export_asked_while_the_server_is_down_say_so(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    sign_in_to_the_dashboard(browser, system, "d1_viewer")
    wait_for(browser, '#panel-term button.export[data-format="xlsx"]')
    wait_for(browser, "#panel-yearly")
    browser.execute_script(CUT_THE_LINE)

    browser.find_element(By.ID, "yearly-docx").click()
    status = wait_for(browser, "#yearly-status", UNREACHABLE)
    assert UNREACHABLE_EN in status.text and "Đang tạo" not in status.text

    browser.find_element(By.CSS_SELECTOR, '#panel-term button.export[data-format="xlsx"]').click()
    text = alert_text(browser)
    assert UNREACHABLE in text and UNREACHABLE_EN in text


def test_the_yearly_report_refused_shows_the_servers_message_in_both_languages(system, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    sign_in_to_the_dashboard(browser, system, "d1_viewer")
    wait_for(browser, "#panel-yearly")
    year = browser.find_element(By.ID, "yearly-year")
    year.clear()
    year.send_keys("1800")  # before the party: the server refuses it
    browser.find_element(By.ID, "yearly-docx").click()
    status = wait_for(browser, "#yearly-status", " — ")
    assert "Đang tạo" not in status.text and "undefined" not in status.text, status.text
