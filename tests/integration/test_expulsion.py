"""Expulsion across real processes on RabbitMQ (issues 3 and 5): the discipline service decides,
the members service ends the membership by reacting to the published event — once, even when
the event is delivered again."""
from __future__ import annotations

import pytest

from tests.support.services import Cluster, http, rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

TREE = [
    {"occurred_on": "2015-01-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"},
    {"occurred_on": "2015-01-01", "org_unit_id": "D1", "name": "Đảng bộ huyện Châu Thành", "kind": "direct",
     "parent_id": "TN"},
    {"occurred_on": "2015-01-01", "org_unit_id": "G1", "name": "Chi bộ xã Hảo Đước", "kind": "grassroots_cell",
     "parent_id": "D1"},
]


def test_expulsion_ends_the_membership_in_the_members_service(tmp_path):
    with rabbit_vhost() as amqp:
        cluster = Cluster(tmp_path, amqp)
        try:
            for svc in ("members", "discipline", "reporting", "gateway"):
                cluster.start(svc)
            token = (tmp_path / "data" / "admin.token").read_text().strip()
            auth = {"Authorization": f"Bearer {token}"}
            api = f"{cluster.url}/api/v1"
            for unit in TREE:
                assert http("POST", f"{api}/members/create_org_unit", unit, auth)[0] == 201
            status, body = http("POST", f"{api}/members/transfer_in", {
                "occurred_on": "2016-03-01", "member_id": "M1", "org_unit_id": "G1", "full_name": "Lê Văn Tám",
                "birth_date": "1980-02-02", "sex": "male", "origin": "Đảng bộ tỉnh Long An"}, auth)
            assert status == 201, body

            # the discipline service learns of the member from the bus before it can judge the form
            def decided():
                s, b = http("POST", f"{api}/discipline/apply_discipline", {
                    "occurred_on": "2020-06-01", "case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                    "form": "expulsion", "violation_on": "2019-12-01", "decided_by": "Ủy ban Kiểm tra Tỉnh ủy"},
                    {**auth, "Idempotency-Key": "k1-expel"})
                return s == 201 and b
            answer = wait_until(decided, timeout=30, what="expulsion decided")
            # the command returns with its reaction applied (issue 14): no waiting from here on
            # (``reactions`` counts what the wait itself wrote: 0 when the bus was first, which it may be)
            assert answer["reactions"] in (0, 1) and "pending_reactions" not in answer, answer
            s, expelled = http("GET", f"{api}/members/get_member?member_id=M1", headers=auth)
            assert s == 200 and expelled["status"] == "left", expelled
            assert expelled["left_how"] == "expelled" and expelled["left_on"] == "2020-06-01"
            s, table = http("GET", f"{api}/reporting/term?year=2020&org_unit_id=TN", headers=auth)
            assert s == 200 and {r["indicator"]: r["value"] for r in table["rows"]}["members_expelled"] == 1, table

            # a retried HTTP command (same Idempotency-Key) writes nothing and triggers nothing new
            again = http("POST", f"{api}/discipline/apply_discipline", {
                "occurred_on": "2020-06-01", "case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                "form": "expulsion", "violation_on": "2019-12-01", "decided_by": "Ủy ban Kiểm tra Tỉnh ủy"},
                {**auth, "Idempotency-Key": "k1-expel"})
            assert again[0] == 201
            from shared.eventstore import open_store
            members_store = open_store(f"sqlite:///{tmp_path / 'data' / 'members.events.db'}")
            expulsions = [e for e in members_store.read_stream("member-M1") if e.type == "member.expelled"]
            members_store.close()
            assert len(expulsions) == 1 and expulsions[0].data["case_id"] == "K1"
        finally:
            cluster.stop()


def test_an_expulsion_while_the_members_service_is_down_names_the_pending_reaction(tmp_path):
    with rabbit_vhost() as amqp:
        cluster = Cluster(tmp_path, amqp)
        try:
            for svc in ("members", "discipline", "reporting"):
                cluster.start(svc)
            cluster.start("gateway", DANGVIEN_RPC_TIMEOUT_SECONDS="5")
            auth = {"Authorization": f"Bearer {(tmp_path / 'data' / 'admin.token').read_text().strip()}"}
            api = f"{cluster.url}/api/v1"
            for unit in TREE:
                assert http("POST", f"{api}/members/create_org_unit", unit, auth)[0] == 201
            assert http("POST", f"{api}/members/transfer_in", {
                "occurred_on": "2016-03-01", "member_id": "M1", "org_unit_id": "G1", "full_name": "Lê Văn Tám",
                "birth_date": "1980-02-02", "sex": "male", "origin": "Đảng bộ tỉnh Long An"}, auth)[0] == 201
            case = {"subject_kind": "member", "subject_id": "M1", "violation_on": "2019-12-01",
                    "decided_by": "Ủy ban Kiểm tra Tỉnh ủy"}
            # a reprimand once the discipline service knows the member; no reaction is due for it
            first = wait_until(lambda: (lambda s, b: s == 201 and b)(*http(
                "POST", f"{api}/discipline/apply_discipline",
                {**case, "occurred_on": "2020-01-10", "case_id": "K0", "form": "reprimand"}, auth)),
                timeout=30, what="reprimand decided")
            assert first["reactions"] == 0 and "pending_reactions" not in first, first
            cluster.procs["members"].stop()
            status, answer = http("POST", f"{api}/discipline/apply_discipline",
                                  {**case, "occurred_on": "2020-06-01", "case_id": "K1", "form": "expulsion"}, auth)
            # written, and the answer says the expulsion's consequence is not confirmed yet
            assert status == 201 and "members" in answer["pending_reactions"], answer
            cluster.start("members")
            left = wait_until(lambda: (lambda s, b: b["status"] == "left" and b)(*http(
                "GET", f"{api}/members/get_member?member_id=M1", headers=auth)), timeout=60, what="membership ended")
            assert left["left_how"] == "expelled"
        finally:
            cluster.stop()
