"""A live batch reads its members' warning inputs and stored spans in one statement
(``warning_spans._member_inputs``); it must read what the plain reads (``_inputs``) give, in the
order they give it, where order decides a span: facts of one day recorded together (the last by
id governs working away), stints holding the same day (the higher sequence wins, 10 after 9),
a month's dues recorded twice (the later status counts). On SQLite and on PostgreSQL."""
from __future__ import annotations

import contextlib

import pytest

from services.reporting import warning_spans
from services.reporting.facts import FactsProjection
from shared.readmodel import ReadModelDB
from tests.support.services import pg_database

P = "g1_"
REC = "2024-05-01T08:00:00.000000Z"


def fill(tx) -> None:
    facts = [  # event_id, member, type, occurred_on, recorded_at, detail
        ("e-b", "M1", "member.working_away_started", "2024-02-01", REC, '{"expected_return": "2024-03-01"}'),
        ("e-a", "M1", "member.working_away_ended", "2024-02-01", REC, "{}"),
        ("e-c", "M1", "member.admitted", "2023-01-05", REC, "{}"),
        ("e-d", "M1", "member.rated", "2023-12-20", "2024-01-02T08:00:00.000000Z", '{"year": 2023, "rating": "x"}'),
        ("e-e", "M1", "member.rated", "2023-12-20", "2023-12-30T08:00:00.000000Z", '{"year": 2023, "rating": "y"}'),
        ("e-f", "M2", "member.transferred_in", "2022-04-04", REC, '{"kind": "official"}'),
        ("e-g", "M1", "member.died", "2024-06-01", REC, "{}"),  # not a type the spans read
        ("e-h", "M3", "member.admitted", "2023-01-05", REC, "{}"),  # not asked for
    ]
    tx.executemany(f"INSERT INTO {P}member_facts (event_id, member_id, type, occurred_on, recorded_at, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?)", facts)
    stints = [("M1", 9, "C1", "2023-01-05", None), ("M1", 10, "C2", "2023-06-01", None),
              ("M1", 2, "C3", "2023-01-05", "2023-06-01"), ("M2", 1, "C1", "2022-04-04", None)]
    tx.executemany(f"INSERT INTO {P}stints (member_id, seq, org_unit_id, from_on, from_kind, from_rec, to_on) "
                   "VALUES (?, ?, ?, ?, 'x', '2024-01-01', ?)", stints)
    absences = [("A1", "M1", "C1", "2023-03-02", 0), ("A2", "M1", "C1", "2023-02-02", 0),
                ("A3", "M1", "C1", "2023-01-02", 1), ("A4", "M1", "C2", "2024-01-09", 0),
                ("A5", "M2", "C1", "2023-01-09", 0)]
    tx.executemany(f"INSERT INTO {P}absences (meeting_id, member_id, org_unit_id, occurred_on, recorded_at, "
                   "excused, event_id) VALUES (?, ?, ?, ?, '2024-01-01', ?, ?)", [(*a, a[0]) for a in absences])
    dues = [("M1", "2024-03", "2024-04-01T08:00:00.000000Z", "unpaid"), ("M1", "2024-03", "2024-05-01T08:00:00.000000Z", "paid"),
            ("M1", "2024-04", "2024-05-01T08:00:00.000000Z", "paid"), ("M1", "2024-04", "2024-06-01T08:00:00.000000Z", "unpaid"),
            ("M2", "2024-01", "2024-02-01T08:00:00.000000Z", "unpaid")]
    tx.executemany(f"INSERT INTO {P}dues (member_id, month, recorded_at, status, occurred_on, event_id) "
                   "VALUES (?, ?, ?, ?, '2024-01-01', ?)", [(*d, f"{d[0]}{d[2]}") for d in dues])
    tx.executemany(f"INSERT INTO {P}members (member_id, admitted_on) VALUES (?, ?)",
                   [("M1", "2023-01-05"), ("M2", None), ("M3", "2023-01-05")])
    tx.executemany(f"INSERT INTO {P}warn_spans (kind, org_unit_id, member_id, from_on, to_on, due_on) "
                   "VALUES (?, ?, ?, ?, ?, ?)", [("recognition_overdue", "C1", "M1", "2024-02-01", None, "2024-01-31"),
                                                 ("_official", "C1", "M2", "2022-04-04", None, None),
                                                 ("_official", "C1", "M3", "2022-04-04", None, None)])


def plain(tx, members):
    facts, stints, absences, dues, admitted = warning_spans._inputs(tx, P, members)
    return facts, {m: sorted(s) for m, s in stints.items()}, {m: sorted(a) for m, a in absences.items()}, dues, admitted


@contextlib.contextmanager
def read_model(kind, tmp_path):
    if kind == "sqlite":
        yield ReadModelDB(f"sqlite:///{tmp_path}/read.db")
    else:
        with pg_database() as url:
            db = ReadModelDB(url)
            try:
                yield db
            finally:
                db.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_one_statement_reads_what_the_plain_reads_give_in_their_order(kind, tmp_path):
    with read_model(kind, tmp_path) as db:
        db.executescript(FactsProjection(P).ddl())
        with db.transaction() as tx:
            fill(tx)
        for members in (["M1", "M2"], ["M2"], ["M9"]):
            with db.transaction(pipelined=kind == "postgresql") as tx:
                before: list = []
                facts, stints, absences, dues, admitted = warning_spans._member_inputs(tx, P, members, before)
                got = (facts, {m: sorted(s) for m, s in stints.items()}, {m: sorted(a) for m, a in absences.items()},
                       dues, admitted)
                assert got == plain(tx, members)
                stored = tx.execute(f"SELECT kind, org_unit_id, member_id, from_on, to_on, due_on FROM {P}warn_spans "
                                    f"WHERE member_id IN ({','.join('?' * len(members))})", members).fetchall()
                assert sorted(before) == sorted(tuple(r) for r in stored)
        with db.transaction() as tx:  # what decides the spans, as the plain reads give it
            facts, stints, _, dues, _ = warning_spans._member_inputs(tx, P, ["M1"])
            assert [f[0] for f in facts["M1"] if f[1] == "2024-02-01"] == [
                "member.working_away_ended", "member.working_away_started"]  # by id: e-a, e-b
            assert dues["M1"] == {"2024-03": "paid", "2024-04": "unpaid"}
            assert (10, "C2", "2023-06-01", None) in stints["M1"]
            assert warning_spans._spans_of(tx, P, ["M1", "M2"]) == warning_spans.spans_of(
                *warning_spans._inputs(tx, P, ["M1", "M2"]), ["M1", "M2"])
