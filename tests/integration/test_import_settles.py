"""An import returns with its consequences applied (issue 14): the discipline service's expulsions
make the members service write ``member.expelled`` (a reaction on the bus); the term table read
right after the import already counts them. Real processes on RabbitMQ."""
from __future__ import annotations

import json

import pytest

from tests.support.services import Cluster, http, rabbit_vhost

pytestmark = pytest.mark.integration


MEMBERS, EXPELLED = 400, 150  # enough that the bus alone would still be delivering after the import


def a_cell_admitting(members: int, recognized: bool = False) -> list[dict]:
    """Import lines: the province, one cell, ``members`` admitted in it (each recognised official
    a year later if ``recognized``)."""
    out = [{"type": "org_unit.created", "occurred_on": "2015-01-01",
            "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"}},
           {"type": "org_unit.created", "occurred_on": "2015-01-01",
            "data": {"org_unit_id": "G1", "name": "Chi bộ xã Hảo Đước", "kind": "grassroots_cell", "parent_id": "TN"}}]
    for i in range(1, members + 1):
        out.append({"type": "member.admitted", "occurred_on": "2016-03-01",
                    "data": {"member_id": f"M{i}", "org_unit_id": "G1", "full_name": "Lê Văn Tám",
                             "birth_date": "1980-02-02", "sex": "male", "demobilised": "none"}})
        if recognized:
            out.append({"type": "member.recognized_official", "occurred_on": "2017-03-01",
                        "data": {"member_id": f"M{i}", "decided_on": "2017-03-10"}})
    return out


def lines() -> list[dict]:
    out = a_cell_admitting(MEMBERS, recognized=True)
    for i in range(1, EXPELLED + 1):  # expulsions decided in 2021
        out.append({"type": "discipline.applied", "occurred_on": f"2021-{i % 12 + 1:02d}-10",
                    "data": {"case_id": f"K{i}", "subject_kind": "member", "subject_id": f"M{i}", "form": "expulsion",
                             "violation_on": "2020-12-01", "decided_by": "Ủy ban Kiểm tra Tỉnh ủy"}})
    return out


def test_the_term_table_read_right_after_an_import_counts_the_expulsions(tmp_path):
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines()) + "\n"
    with rabbit_vhost() as amqp:
        cluster = Cluster(tmp_path, amqp)
        try:
            for svc in ("members", "discipline", "reporting", "gateway"):
                cluster.start(svc)
            auth = {"Authorization": f"Bearer {(tmp_path / 'data' / 'admin.token').read_text().strip()}"}
            status, body = http("POST", f"{cluster.url}/api/v1/imports", raw=text.encode("utf-8"),
                                headers={**auth, "Content-Type": "application/x-ndjson"})
            assert status == 201, json.dumps(body, ensure_ascii=False)
            assert body.get("reactions") == EXPELLED and not body.get("pending_reactions"), body
            # at once, no waiting: the expulsions are in the members service and in the reports
            status, table = http("GET", f"{cluster.url}/api/v1/reporting/term?year=2021&org_unit_id=TN", headers=auth)
            assert status == 200, table
            values = {r["indicator"]: r["value"] for r in table["rows"]}
            assert values["members_expelled"] == EXPELLED and values["members_disciplined"] == EXPELLED
            status, m = http("GET", f"{cluster.url}/api/v1/members/get_member?member_id=M1", headers=auth)
            assert status == 200 and m["status"] == "left" and m["left_how"] == "expelled", m
            status, m = http("GET", f"{cluster.url}/api/v1/members/get_member?member_id=M{MEMBERS}", headers=auth)
            assert status == 200 and m["status"] != "left", m
        finally:
            cluster.stop()
