"""The OpenAPI document is valid and complete (every operation's success answer has a schema and an
example), and a property-based fuzzer (schemathesis) sending what the document allows — and what it
does not — never gets a 5xx from the running gateway, and every answer matches the documented schema."""
from __future__ import annotations

import json
import urllib.request

import pytest

from shared.contracts import commands_of, queries_of

from tests.gateway.conftest import running_system

pytestmark = pytest.mark.integration

SERVICES = ("members", "meetings", "discipline", "reporting")
EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    # its own system: the fuzzer creates odd units and members the other tests must not see
    with running_system(tmp_path_factory.mktemp("fuzz")) as s:
        yield s


def document(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/openapi.json", timeout=60) as resp:
        assert resp.headers["Content-Type"].startswith("application/json")
        return json.load(resp)


def test_the_openapi_document_is_valid_and_covers_every_contract(fuzzed):
    from openapi_spec_validator import validate

    doc = document(fuzzed.url)
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    assert doc["openapi"].startswith("3.1")
    for service in SERVICES:
        for name in commands_of(service):
            op = doc["paths"][f"/api/v1/{service}/{name}"]["post"]
            assert "Idempotency-Key" in [p["name"] for p in op["parameters"]]
            assert op["responses"]["422"]["content"]["application/problem+json"]
        for name in queries_of(service):
            assert "get" in doc["paths"][f"/api/v1/{service}/{name}"]
    problem = doc["components"]["schemas"]["Problem"]
    assert {"message_vi", "message_en", "field"} <= set(problem["properties"])
    with urllib.request.urlopen(f"{fuzzed.url}/docs", timeout=60) as resp:
        page = resp.read().decode("utf-8")
    assert "Tài liệu API" in page and "/openapi.json" in page
    assert 'src="http' not in page and 'href="http' not in page  # no CDN: works without internet
    # Swagger UI itself is served by the gateway (installed from the npm registry by scripts/web_assets.py)
    with urllib.request.urlopen(f"{fuzzed.url}/static/vendor/swagger-ui-bundle.js", timeout=60) as resp:
        assert b"SwaggerUIBundle" in resp.read()


def success_responses(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if status.startswith("2"):
                    yield f"{method.upper()} {path} {status}", answer


def test_every_success_answer_has_a_schema_and_an_example(fuzzed):
    doc = document(fuzzed.url)
    seen = 0
    for label, answer in success_responses(doc):
        assert answer.get("content"), label
        for media, body in answer["content"].items():
            schema = body.get("schema")
            if media.startswith("application/json"):
                # not {} and not a bare {"type": "object"}: what the answer holds is named
                assert schema and schema != {"type": "object"}, label
                assert "$ref" in schema or "properties" in schema or "items" in schema or "anyOf" in schema, label
                assert "example" in body, label
            seen += 1
    assert seen >= 85
    assert "/api/v1/import-jobs" in doc["paths"] and "/api/v1/import-jobs/{job_id}" in doc["paths"]
    assert "/api/v1/events" in doc["paths"]


def test_the_document_is_plain_markdown_and_carries_the_date_bounds(fuzzed):
    doc = document(fuzzed.url)
    text = json.dumps(doc, ensure_ascii=False)
    assert "``" not in text and ":class:`" not in text
    occurred_on = doc["components"]["schemas"]["CreateOrgUnit"]["properties"]["occurred_on"]
    assert occurred_on["formatMinimum"] == "1900-01-01" and occurred_on["formatMaximum"] == "2199-12-31"
    assert occurred_on["pattern"].startswith("^(19|2[01])")


def test_a_refusal_body_matches_the_documented_problem(fuzzed):
    import jsonschema

    doc = document(fuzzed.url)
    status, body = fuzzed.call("POST", "/api/v1/members/create_org_unit", body={"occurred_on": "2025-07-01"})
    assert status == 422
    problem = doc["components"]["schemas"]["Problem"]
    jsonschema.Draft202012Validator(problem).validate(body)
    # the invalid fields, as the document says: "errors" at the top of the problem
    missing = [e for e in body["errors"] if e["field"] == "org_unit_id"]
    assert missing and missing[0]["message_vi"] == "thiếu trường bắt buộc"
    assert missing[0]["message_en"] == "missing required field"
    assert "details" not in body
    assert body["message_vi"].startswith("Thiếu trường bắt buộc")


@pytest.mark.timeout(1500)  # ~90 operations x 20 examples on a shared 2-core machine
def test_the_fuzzer_finds_no_server_error_and_answers_match_the_document(fuzzed):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import response_schema_conformance

    # the import takes JSONL text: send what the fuzzer makes as plain text
    schemathesis.serializer.alias("application/x-ndjson", "text/plain")
    schema = schemathesis.openapi.from_dict(document(fuzzed.url))
    auth = {"Authorization": f"Bearer {fuzzed.tokens['admin']}"}
    errors: list[str] = []
    mismatches: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(base_url=fuzzed.url, headers=auth, timeout=120)
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except (Exception, BaseExceptionGroup) as exc:  # a failure group naming what did not match
                mismatches.append(f"{operation.label} {response.status_code}: {str(exc)[:400]}")
            if response.status_code >= 500:
                errors.append(f"{operation.label} query={case.query!r} body={case.body!r}: {response.status_code}")
            elif response.status_code >= 400:
                # every refusal is problem+json in both languages
                headers = {k.lower(): v for k, v in response.headers.items()}
                kind = headers.get("content-type", "")
                kind = kind[0] if isinstance(kind, list) else kind
                assert kind.startswith("application/problem+json"), (operation.label, response.status_code,
                                                                     kind, response.text[:200])
                body = response.json()
                assert body["message_vi"] and body["message_en"], operation.label

        call()
    # the gateway logs which exception the service raised (type only, never data)
    failures = [l for l in fuzzed.proc.output().splitlines() if "backend_failed" in l]
    assert not errors, "\n".join(errors[:20] + failures[:20])
    assert not mismatches, "\n".join(mismatches[:20])
