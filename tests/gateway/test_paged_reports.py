"""Paged report lists (issue 15): a page of the headcount tree or of the warning list, with the
totals to page on; without paging the answer is the whole list, as before."""
from __future__ import annotations

import urllib.parse


def get(system, path: str, params: dict, user: str = "prov_viewer"):
    return system.call("GET", f"{path}?{urllib.parse.urlencode(params)}", user)


def test_the_headcount_tree_in_pages_gives_the_whole_tree_in_order(system):
    status, whole = get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN"})
    # at least TN, 2 directs, 4 committees, 8 cells (other tests of the session may add units)
    assert status == 200 and isinstance(whole, list) and len(whole) >= 15
    total = len(whole)
    last_page = -(-total // 4)
    pages, number = [], 1
    while True:
        status, body = get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN", "page": number, "page_size": 4})
        assert status == 200
        assert (body["total"], body["page"], body["page_size"], body["pages"]) == (total, number, 4, last_page)
        pages += body["rows"]
        if number == body["pages"]:
            assert len(body["rows"]) == total - 4 * (last_page - 1)  # the last page holds the rest
            break
        assert len(body["rows"]) == 4
        number += 1
    assert pages == whole
    # a page past the end is empty, with the same totals
    status, body = get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN", "page": last_page + 1,
                                                               "page_size": 4})
    assert status == 200 and body["rows"] == [] and body["total"] == total
    # page alone: pages of 100, so the whole tree
    status, body = get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN", "page": 1})
    assert status == 200 and body["rows"] == whole[:100] and body["page_size"] == 100


def test_warnings_carry_their_total_and_page_like_the_tree(system):
    status, whole = get(system, "/api/v1/reporting/warnings", {"org_unit_id": "TN", "year": 2016})
    assert status == 200 and whole["total"] == len(whole["rows"])
    status, first = get(system, "/api/v1/reporting/warnings", {"org_unit_id": "TN", "year": 2016, "page_size": 1})
    assert status == 200 and first["total"] == whole["total"] and first["rows"] == whole["rows"][:1]


def test_page_limits_are_named_in_both_languages(system):
    for params, field in (({"page": 0}, "page"), ({"page_size": 0}, "page_size"), ({"page_size": 1001}, "page_size")):
        status, body = get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN", **params})
        assert status == 422 and body["code"] == "invalid_input", (params, body)
        assert field in (body.get("field") or "") and body["message_vi"] and body["message_en"], body
    for params in ({"page_size": 1000}, {"page": 1, "page_size": 1}):  # the edges themselves are allowed
        assert get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN", **params})[0] == 200
