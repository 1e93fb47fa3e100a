"""Every route an integrator can call under /api/v1 is in the OpenAPI document, with the method the
gateway answers: a provincial system building a client from the document finds sign-in, sign-out,
the forms, the yearly document and the spreadsheet import, not only the generated commands."""
from __future__ import annotations

import inspect
import re

from services.gateway import openapi
from services.gateway.service import BACKENDS, GatewayService


def served_api_routes() -> set[tuple[str, str]]:
    out = set()
    for _, fn in inspect.getmembers(GatewayService, inspect.isfunction):
        for entry in getattr(fn, "nameko_entrypoints", ()):
            url = getattr(entry, "url", "")
            if url.startswith("/api/v1/"):
                out.add((entry.method.lower(), re.sub(r"<(\w+)>", r"{\1}", url)))
    return out


def test_every_api_route_the_gateway_serves_is_documented_with_its_method():
    doc = openapi.build(BACKENDS)
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    generic = {("post", "/api/v1/{service}/{name}"), ("get", "/api/v1/{service}/{name}")}  # one path per command
    missing = served_api_routes() - generic - documented
    assert not missing, f"served but not in the OpenAPI document: {sorted(missing)}"
    assert {("post", "/api/v1/login"), ("post", "/api/v1/logout"), ("get", "/api/v1/documents/yearly"),
            ("post", "/api/v1/imports/sheet"), ("get", "/api/v1/forms")} <= documented


def test_sign_in_needs_no_token_and_names_its_throttle():
    login = openapi.build(BACKENDS)["paths"]["/api/v1/login"]["post"]
    assert login["security"] == []  # the one call made before a token exists
    assert set(login["requestBody"]["content"]["application/json"]["schema"]["required"]) == {"name", "password"}
    assert "429" in login["responses"] and "401" in login["responses"]


def test_the_yearly_document_takes_the_figures_parameters_and_a_format():
    doc = openapi.build(BACKENDS)
    params = {p["name"]: p for p in doc["paths"]["/api/v1/documents/yearly"]["get"]["parameters"]}
    figures = {p["name"] for p in doc["paths"]["/api/v1/reporting/yearly"]["get"]["parameters"]}
    assert figures <= set(params) and params["year"]["required"]
    assert params["format"]["schema"]["enum"] == ["docx", "pdf"]


#: what a person opens in a browser (the dashboard, Swagger UI and their files): not an API
PAGES = {("get", "/"), ("get", "/docs"), ("get", "/static/{name}"), ("get", "/static/vendor/{name}")}


def test_every_machine_readable_route_is_documented_and_every_documented_one_served():
    """An integrator's monitoring polls /healthz, its client generator reads /openapi.json and its
    screens take the Vietnamese words from /labels.json: none of them was in the document."""
    doc = openapi.build(BACKENDS)
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    served = set()
    for _, fn in inspect.getmembers(GatewayService, inspect.isfunction):
        for entry in getattr(fn, "nameko_entrypoints", ()):
            if getattr(entry, "url", None):
                served.add((entry.method.lower(), re.sub(r"<(\w+)>", r"{\1}", entry.url)))
    generic = {("post", "/api/v1/{service}/{name}"), ("get", "/api/v1/{service}/{name}")}
    assert not served - generic - PAGES - documented, sorted(served - generic - PAGES - documented)
    commands = {(m, p) for m, p in documented if re.fullmatch(r"/api/v1/(%s)/\w+" % "|".join(BACKENDS), p)}
    assert not documented - commands - served, sorted(documented - commands - served)
    for path in ("/healthz", "/openapi.json", "/labels.json"):
        assert doc["paths"][path]["get"]["security"] == []  # asked before, or without, a token


def test_the_feed_cursor_is_documented_with_the_bounds_the_gateway_keeps():
    from services.gateway import eventlog
    params = {p["name"]: p["schema"] for p in openapi.build(BACKENDS)["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert (params["after"]["minimum"], params["after"]["maximum"]) == (0, eventlog.MAX_AFTER)
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, eventlog.MAX_LIMIT)
    assert params["limit"]["default"] == eventlog.DEFAULT_LIMIT
