"""Replay rebuilds the same read model as the live projection, without stopping queries; the audit
finds an edited event in SQLite and PostgreSQL stores (DESIGN.md §1, §3; DOMAIN.md §7.8)."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid

import pytest

from services.reporting.audit import trail, verify
from services.reporting.generations import Generations
from services.reporting.membership import headcount
from services.reporting.periods import parse_period
from services.reporting.term_table import term_table
from services.reporting.view import View
from tests.unit.reporting.test_movement import demo_with_movement


def live_generations(h) -> Generations:
    """Apply every stored event one by one as the bus would deliver it (the doorbell path)."""
    h.flush()
    from shared.readmodel import ReadModelDB
    h.db = ReadModelDB(f"sqlite:///{h.folder}/live.read.db")
    g = Generations(h.db, h.stores)
    for source in ("members", "discipline", "meetings", "reporting"):
        for env in h.stores[source].read_all(1):
            g.handle(source, env.to_message())
    return g


def test_replay_checksum_equals_live_checksum_after_the_demo_history(history):
    demo_with_movement(history)
    g = live_generations(history)
    live = g.checksum()
    before = headcount(View.of(g.db, g.prefix, dt.date(2026, 1, 1), None), None)
    result = g.replay()
    assert result["state"] == "done" and g.prefix == "g2_"
    assert result["done"] == sum(s.head_position() for s in history.stores.values())
    assert g.checksum() == live
    assert headcount(View.of(g.db, g.prefix, dt.date(2026, 1, 1), None), None) == before


def test_queries_keep_answering_while_a_replay_runs(history):
    demo_with_movement(history)
    g = history.generations()
    expected = term_table(history.view(), None, parse_period("2015-2020"), parse_period("2010-2015"))["rows"]
    answers, errors = [], []
    done = threading.Event()

    def ask():
        while not done.is_set():
            try:
                v = View.of(g.db, g.prefix, dt.date(2030, 1, 1), None)
                answers.append(term_table(v, None, parse_period("2015-2020"), parse_period("2010-2015"))["rows"])
            except Exception as exc:  # noqa: BLE001 — any failure is the finding
                errors.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        g._advance = lambda n, orig=g._advance: (orig(n), __import__("time").sleep(0.01))  # let the asker in
        g.replay()
        g.replay()
    finally:
        done.set()
        asker.join()
    assert not errors
    assert len(answers) >= 2 and all(a == expected for a in answers)
    assert g.prefix == "g3_"


def _events(h):
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "C1", "name": "Chi bộ Ấp 1", "kind": "grassroots_cell",
                                             "parent_id": "TN"})
    h.add("member.admitted", "2016-02-01", {"member_id": "M1", "org_unit_id": "C1", "full_name": "Trần Thị Mai",
                                            "birth_date": "1990-01-01", "sex": "female"}, actor="clerk1")
    h.add("member.rated", "2016-12-20", {"member_id": "M1", "year": 2016, "rating": "good"}, actor="clerk1")
    h.add("discipline.applied", "2017-03-01", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "reprimand", "violation_on": "2017-01-05"}, actor="inspector1")
    h.add("meeting.missed", "2017-04-05", {"meeting_id": "MT1", "org_unit_id": "C1", "member_id": "M1",
                                           "excused": False}, actor="secretary")


def test_audit_trail_shows_every_fact_with_both_clocks_actor_and_source_without_names(history):
    _events(history)
    history.generations()
    out = trail(history.view(), history.stores, "M1")
    got = [(r["type"], r["source"], r["actor"]) for r in out["rows"]]
    assert got == [("member.admitted", "members", "clerk1"), ("member.rated", "members", "clerk1"),
                   ("discipline.applied", "discipline", "inspector1"), ("meeting.missed", "meetings", "secretary")]
    assert out["rows"][0]["occurred_on_vi"] == "01/02/2016" and out["rows"][0]["recorded_at"]
    assert "full_name" not in out["rows"][0]["data"] and "birth_date" not in out["rows"][0]["data"]


def test_audit_verify_names_the_edited_event_in_sqlite(history):
    _events(history)
    history.flush()
    assert verify(history.stores)["ok"]
    victim = history.stores["members"].read_stream("member-M1")[1]
    with sqlite3.connect(f"{history.folder}/members.events.db") as db:
        db.execute("UPDATE events SET data = ? WHERE event_id = ?",
                   ('{"member_id":"M1","rating":"excellent","year":2016}', victim.event_id))
    out = verify(history.stores)
    members = next(s for s in out["sources"] if s["source"] == "members")
    assert not out["ok"]
    assert members["broken"] == [{"stream": "member-M1", "event_id": victim.event_id, "stream_version": 1,
                                  "position": victim.position, "type": "member.rated", "check": "hash",
                                  "message_vi": "Băm có khóa không khớp: nội dung sự kiện đã bị sửa hoặc giả mạo",
                                  "message_en": "keyed hash does not match: the event was edited or forged"}]


def test_audit_verify_names_the_edited_event_in_postgresql():
    import psycopg
    from tests.support.services import PG_ADMIN_URL
    from shared.eventstore import ANY, open_store
    from shared.events import NewEvent
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        from tests.support.services import unavailable
        unavailable("PostgreSQL (127.0.0.1:5432)")
    name = f"dangvien_rpt_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    store = open_store(url)
    try:
        for i in range(3):
            store.append("case-K1", [NewEvent(type="discipline.applied" if i == 0 else "discipline.changed",
                                              data={"case_id": "K1", "form": "warning"} if i else
                                              {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "warning", "violation_on": "2017-01-01"},
                                              occurred_on=dt.date(2017, 3, 1 + i))], ANY)
        assert verify({"discipline": store})["ok"]
        victim = store.read_stream("case-K1")[1]
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("UPDATE events SET occurred_on = %s WHERE event_id = %s", ("2016-01-01", victim.event_id))
        out = verify({"discipline": store})
        assert out["sources"][0]["broken"][0]["event_id"] == victim.event_id
        assert out["sources"][0]["broken"][0]["stream_version"] == 1
    finally:
        store.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
