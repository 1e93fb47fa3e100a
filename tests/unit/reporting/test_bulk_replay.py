"""A replay folded in memory and written in bulk (``bulk_replay``) writes exactly the rows the live
projection writes event by event (issue 15), and the live projection goes on from it.

The history is the tangled province of ``test_day_counts`` (moves, a merge, a dissolution, a
re-admission, a transfer between districts, an annulled decision, facts recorded years late)
plus what the bulk folds handle on their own: meetings with members absent several times in a
row (one recorded late with an earlier date, two held the same day, one delivered twice), repeated
absences, dues and targets recorded twice, decisions changed (one of an unknown case) and annulled,
a decision without a unit, temporary and official transfers, a re-entry while a stint is open,
recognition, working away with a sealed contact, sealed personal fields, one fact stored under two
names, and types of every family this version does not know.

The meetings store may be folded by a second process (``meeting_fold``): the same rows, whether
meetings are also recorded in the stores before or after it, and a second process that fails
leaves the generation read before as it was.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys

import pytest

from services.reporting import bulk_replay, meeting_fold
from services.reporting.generations import Generations
from shared.events import NewEvent
from shared.readmodel import ReadModelDB
from tests.unit.reporting.history import History
from tests.unit.reporting.test_day_counts import LATE, tangled
from tests.unit.reporting.test_fast_paths import day_counts, deliver_all
from services.reporting import daycounts, warning_spans
from tests.unit.reporting.test_warning_spans import spans_rows

SOURCES = ("members", "discipline", "meetings", "reporting")
UTC = dt.timezone.utc


def unknown(h: History, source: str, stream: str, type_: str, on: str, data: dict, event_id: str | None = None):
    """An event stored as another service (or a newer version) would store it."""
    extra = {"event_id": event_id} if event_id else {}
    h.pending[source].append((stream, NewEvent(type=type_, data=data, occurred_on=dt.date.fromisoformat(on),
                                                actor="other", **extra)))


def held(h: History, meeting: str, unit: str, on: str, absent: dict, members=("M3", "M4", "M6", "M7"),
         kind: str = "regular", recorded_at=None, minutes: int = 100) -> None:
    attendance = [{"member_id": m, "status": absent.get(m, "present")} for m in members]
    h.add("meeting.held", on, {"meeting_id": meeting, "org_unit_id": unit, "kind": kind, "duration_minutes": minutes,
                               "attendance": attendance}, org_unit_id=unit, recorded_at=recorded_at)
    for m, status in absent.items():
        h.add("meeting.missed", on, {"meeting_id": meeting, "org_unit_id": unit, "member_id": m,
                                     "excused": status == "excused"}, org_unit_id=unit, recorded_at=recorded_at)


def rich(h: History) -> History:
    tangled(h)
    # absences in a row (HD 12: more than 3), a late meeting dated before others, two on one day
    for month in range(1, 7):
        held(h, f"C3-2021-{month:02d}", "C3", f"2021-{month:02d}-15", {"M6": "unexcused", "M4": "excused"})
    held(h, "C3-2021-06b", "C3", "2021-06-15", {"M6": "excused"})
    held(h, "C3-2021-00", "C3", "2021-01-02", {"M4": "unexcused"}, recorded_at=LATE)
    held(h, "C3-2021-07", "C3", "2021-07-15", {}, minutes=60)
    held(h, "C3-2022-01", "C3", "2022-01-15", {"M6": "unexcused"})  # a new year: the count starts again
    held(h, "C3-2021-th", "C3", "2021-08-15", {"M6": "unexcused"}, kind="thematic")
    held(h, "C3-2021-02", "C3", "2021-02-20", {"M7": "unexcused"})  # the same meeting delivered twice
    for month in range(1, 5):  # and in C2 (a replay that splits the meetings held folds C2's apart from C3's)
        held(h, f"C2-2021-{month:02d}", "C2", f"2021-{month:02d}-16", {"M3": "unexcused"})
    h.add("meeting.missed", "2021-03-15", {"meeting_id": "C3-2021-03", "org_unit_id": "C3", "member_id": "M6",
                                           "excused": True})  # the same absence twice
    h.add("meeting.cancelled", "2021-09-15", {"meeting_id": "C3-2021-09", "org_unit_id": "C3", "member_id": "M7"})
    # dues and targets, each recorded twice
    t1, t2 = dt.datetime(2024, 2, 1, 8, tzinfo=UTC), dt.datetime(2024, 3, 1, 8, tzinfo=UTC)
    for rec in (t1, t1, t2):
        h.add("dues.recorded", "2024-01-31", {"member_id": "M3", "month": "2024-01", "status": "paid"},
              recorded_at=rec)
    h.add("dues.waived", "2024-02-01", {"member_id": "M4", "month": "2024-02"})
    for rec in (t1, t1, t2):
        h.add("target.registered", "2021-01-15", {"org_unit_id": "D1", "period": "2020-2025",
                                                  "indicator": "members_removed", "value": 2}, recorded_at=rec)
    h.add("target.withdrawn", "2021-02-15", {"org_unit_id": "D1", "period": "2020-2025"})
    # decisions changed, annulled, of an unknown case, without a unit, of an unknown type
    h.add("discipline.changed", "2021-10-10", {"case_id": "K2", "form": "reprimand"})
    h.add("discipline.changed", "2021-10-10", {"case_id": "K404", "form": "reprimand"})
    h.add("discipline.annulled", "2022-02-02", {"case_id": "K4", "reason": "wrong"})
    h.add("discipline.applied", "2023-05-05", {"case_id": "K5", "subject_kind": "member", "subject_id": "M4",
                                               "form": "warning", "violation_on": "2023-01-01",
                                               "later_violations": ["2023-03-03"]})
    h.add("discipline.applied", "2023-06-06", {"case_id": "K6", "subject_kind": "member", "subject_id": "M7",
                                               "form": "warning", "grave_matter": True}, org_unit_id="C1")
    h.add("discipline.appealed", "2023-07-07", {"case_id": "K5", "subject_kind": "member", "subject_id": "M4"})
    # members: temporary and official transfers, re-entry while open, recognition, working away
    h.add("member.transferred", "2022-08-01", {"member_id": "M3", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "temporary", "until": "2023-01-01"}, org_unit_id="C1")
    h.add("member.transferred", "2022-09-01", {"member_id": "M7", "from_org_unit_id": "C1", "to_org_unit_id": "C3"})
    h.add("member.transferred_in", "2023-03-03", {"member_id": "M7", "org_unit_id": "C4", "full_name": "sealed:v1:x",
                                                  "birth_date": "sealed:v1:y", "sex": "female"}, org_unit_id="C4")
    h.add("member.recognized_official", "2020-03-01", {"member_id": "M4", "decided_on": "2020-03-05"})
    h.add("member.recognized_official", "2020-03-01", {"member_id": "NOBODY"})
    h.add("member.working_away_started", "2024-01-10", {"member_id": "M3", "place": "sealed:v1:p",
                                                        "contact": "sealed:v1:c", "expected_return": "2024-06-30"})
    h.add("member.working_away_started", "2024-01-10", {"member_id": "M4", "place": "Long An"})
    h.add("member.admitted", "2024-09-09", {"member_id": "M11", "org_unit_id": "C2", "full_name": "sealed:v1:n",
                                            "birth_year": 1999, "sex": "male"}, org_unit_id="C2")
    h.add("member.rated", "2024-12-20", {"member_id": "M11", "year": 2024, "rating": "good"})
    unknown(h, "members", "member-notes", "member.note", "2024-12-21", {"note": "no member named"})
    # one fact stored under two names (the same event id in two stores), unknown types and families
    same = {"member_id": "M4", "year": 2023, "rating": "excellent"}
    unknown(h, "members", "member-M4", "member.rated", "2023-12-20", same, event_id="same-fact")
    unknown(h, "reporting", "copy-M4", "member.rated", "2023-12-20", same, event_id="same-fact")
    unknown(h, "reporting", "award-M6", "award.granted", "2024-05-05", {"member_id": "M6", "title": "x"})
    unknown(h, "discipline", "inspection-1", "inspection.opened", "2024-05-06",
            {"subject_kind": "member", "subject_id": "M3"})
    unknown(h, "members", "org_unit-C2", "org_unit.noted", "2024-05-07", {"org_unit_id": "C2", "member_id": "M5"})
    h.add("org_unit.renamed", "2024-06-01", {"org_unit_id": "C4", "name": "Chi bộ Bốn mới"})
    # exits out of date order with transfers: M12 removed (01/06/2022, with a rating before it) before
    # its transfer C1 → C2 dated 01/03/2022 is recorded; M13 resigned (dated 01/02/2022) after its
    # transfer C1 → C3 dated 01/03/2022 was recorded
    for member in ("M12", "M13"):
        h.add("member.admitted", "2020-05-05", {"member_id": member, "org_unit_id": "C1", "full_name": "sealed:v1:n",
                                                "birth_year": 1990, "sex": "male"}, org_unit_id="C1")
    h.add("member.rated", "2022-05-01", {"member_id": "M12", "year": 2021, "rating": "complete"})
    h.add("member.record_updated", "2022-05-02", {"member_id": "M4", "demobilised": "police"})  # a corrected record
    h.add("member.removed", "2022-06-01", {"member_id": "M12", "ground": "abandoned_activity"})
    h.add("member.transferred", "2022-03-01", {"member_id": "M12", "from_org_unit_id": "C1", "to_org_unit_id": "C2"})
    h.add("member.transferred", "2022-03-01", {"member_id": "M13", "from_org_unit_id": "C1", "to_org_unit_id": "C3"})
    h.add("member.resigned", "2022-02-01", {"member_id": "M13"})
    h.flush()
    return h


def live(h: History, url: str) -> Generations:
    """Every stored event delivered one by one, as the bus does (the live projection's path)."""
    g = Generations(ReadModelDB(url), h.stores)
    g.runner.burst = 1
    deliver_all(g, h.stores)
    return g


def facts(g: Generations) -> dict:
    """What a user checks beyond the checksum: the rows are there, with their particular values."""
    p, q = g.prefix, g.db.query
    return {
        "over": q(f"SELECT meeting_id, over_consecutive FROM {p}meetings WHERE over_consecutive > 0 ORDER BY 1"),
        "refs": q(f"SELECT member_id, source FROM {p}member_refs WHERE source IN ('unknown', 'members') ORDER BY 1, 2"),
        "stints": q(f"SELECT member_id, seq, org_unit_id, from_kind, to_kind FROM {p}stints WHERE member_id = 'M7' "
                    "ORDER BY seq"),
        "cases": q(f"SELECT case_id, org_unit_id, form, annulled_on FROM {p}cases ORDER BY 1"),
        "same": q(f"SELECT COUNT(*) FROM {p}member_facts WHERE event_id = 'same-fact'"),
        "demobilised": q(f"SELECT member_id, demobilised FROM {p}members WHERE demobilised <> 'none' ORDER BY 1"),
        "exits": q(f"SELECT member_id, type, org_unit_id FROM {p}member_facts WHERE member_id IN ('M12', 'M13') "
                   "AND type NOT IN ('member.admitted', 'member.transferred') ORDER BY 1, 2"),
    }


@pytest.fixture
def history(tmp_path):
    h = rich(History(tmp_path))
    yield h
    h.close()


class EnvelopesOnly:
    """A store that can only give envelopes (as KurrentDB does): the bulk replay reads those."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        if name == "read_rows":
            raise AttributeError(name)
        return getattr(self._store, name)


def folded_apart(monkeypatch) -> list:
    """Fold the meetings store in a second process whatever its size and the machine's CPUs;
    the handles of the processes started, in order."""
    started = []
    monkeypatch.setattr(meeting_fold, "APART_FROM", 0)
    monkeypatch.setattr(meeting_fold, "wanted", lambda: True)
    monkeypatch.setattr(meeting_fold, "HELD_HERE", 50)  # the meetings of C1 and C3 folded by the replay itself

    class Seen(meeting_fold.Apart):
        def __init__(self, args):
            super().__init__(args)
            self.hashed = self.drew = None  # the checksum it gave (``checksum``), if asked
            started.append(self)

        def checksum(self):
            self.hashed = super().checksum()
            return self.hashed

        def spans(self):
            drawn = super().spans()
            self.drew = drawn is not None and len(drawn[0])  # the warning spans it drew, if asked
            return drawn

    monkeypatch.setattr(meeting_fold, "Apart", Seen)
    after = bulk_replay.Fold.after_apart

    def noted(fold, *args):  # the meetings the replay folded itself, and whether they were all folded again
        here = len(fold.meeting_fold.meetings_seen)
        after(fold, *args)
        fold.apart.split = (here, fold.refolded)

    monkeypatch.setattr(bulk_replay.Fold, "after_apart", noted)
    return started


@pytest.mark.parametrize("read_model", ["sqlite", "sqlite-envelopes", "postgresql", "sqlite-apart",
                                        "postgresql-apart"])
def test_a_bulk_replay_writes_the_rows_of_the_live_projection(history, tmp_path, read_model, monkeypatch):
    expected = live(history, f"sqlite:///{tmp_path}/live.read.db")
    started = folded_apart(monkeypatch) if read_model.endswith("apart") else []
    with contextlib.ExitStack() as stack:
        if read_model.startswith("postgresql"):
            from tests.support.services import pg_database
            url = stack.enter_context(pg_database())
        else:
            url = f"sqlite:///{tmp_path}/replayed.read.db"
        stores = {s: EnvelopesOnly(st) for s, st in history.stores.items()} if read_model.endswith("envelopes") \
            else history.stores
        g = Generations(ReadModelDB(url), stores)
        stack.callback(g.db.close)
        result = g.replay()

        assert g.prefix == "g2_" and result["done"] == sum(s.head_position() for s in history.stores.values())
        assert result["checksum"] == g.checksum() == expected.checksum()
        assert day_counts(g) == day_counts(expected)
        spans = spans_rows(g)
        assert spans == spans_rows(expected) and len(spans[0]) > 10  # the early-warning spans, built after
        assert g.positions() == expected.positions() == {s: history.stores[s].head_position() for s in SOURCES}
        seen = facts(g)
        assert seen == facts(expected)
        # the history exercised what it is meant to (equal empty tables would prove nothing)
        assert {m for m, _ in seen["over"]} >= {"C3-2021-04", "C3-2021-05", "C3-2021-06", "C2-2021-04"}
        assert ("M6", "unknown") in seen["refs"] and ("M5", "members") in seen["refs"]
        assert ("M4", "police") in seen["demobilised"]
        # M7's facts came out of date order (admitted into C1 on 01/07/2025, recorded before a transfer
        # to C3 dated 01/09/2022 and an entry into C4 dated 03/03/2023): threaded in date order
        assert [s[2] for s in seen["stints"]] == ["C3", "C4", "C1"] and seen["same"] == [(1,)]
        assert seen["exits"] == [("M12", "member.rated", "C2"), ("M12", "member.removed", "C2"),
                                 ("M13", "member.resigned", "C1")]
        assert ("K2", "C1", "reprimand", None) in seen["cases"] and ("K5", "C2", "warning", None) in seen["cases"]  # M4 was in C2 on 05/05/2023 (moved to C1 in 2024)
        if read_model.endswith("apart"):  # the meetings store was folded by a second process, which ended well
            assert [(a.finished, a.proc.returncode) for a in started] == [(True, 0)]
            # the absences of the meetings store (a SQLite file) were read by the replay itself
            assert [a.store is history.stores["meetings"] for a in started] == [True]
            # on SQLite it hashed the tables for the checksum meanwhile (a staged replay's are loaded first)
            assert [a.hashed for a in started] == [result["checksum"] if read_model == "sqlite-apart" else None]
            assert [a.drew for a in started] == [len(spans[0])]  # and drew the warning spans (staged too)
            # the meetings held of C1 and C3 were folded by the replay, the others there: not folded again
            meetings = g.db.query(f"SELECT COUNT(*) FROM {g.prefix}meetings")[0][0]
            assert [(0 < a.split[0] < meetings, a.split[1]) for a in started] == [(True, False)]
    expected.db.close()


def meeting_recorded_in(h: History, source: str) -> None:
    """A meeting of C3 held 30/06/2021, recorded by ``source``: M6 absent again (as at the three
    meetings before it), M3 absent, and M3 absent again at three meetings of July in the meetings
    store (the third is M3's third absence in a row only with the meeting of 30/06 counted)."""
    attendance = [{"member_id": "M6", "status": "unexcused"}, {"member_id": "M3", "status": "unexcused"},
                  {"member_id": "M4", "status": "present"}]
    unknown(h, source, "meeting-C3-2021-06x", "meeting.held", "2021-06-30",
            {"meeting_id": "C3-2021-06x", "org_unit_id": "C3", "kind": "regular", "duration_minutes": 90,
             "attendance": attendance})
    for member in ("M6", "M3"):
        unknown(h, source, "meeting-C3-2021-06x", "meeting.missed", "2021-06-30",
                {"meeting_id": "C3-2021-06x", "org_unit_id": "C3", "member_id": member, "excused": False})
    for day in "abc":
        held(h, f"C3-2021-07{day}", "C3", f"2021-07-0{'abc'.index(day) + 1}", {"M3": "unexcused"})
    h.flush()


@pytest.mark.parametrize("source", ["reporting", "members"])
def test_meetings_recorded_by_another_store_are_judged_as_live_when_the_meetings_store_is_folded_apart(
        history, tmp_path, monkeypatch, source):
    """After the meetings store (``reporting``): judged with the meetings the second process held
    (the absences in a row counted); before it (``members``): counted in the meetings judged after
    it, the replay then folding the meetings store itself (the second process stopped)."""
    meeting_recorded_in(history, source)
    expected = live(history, f"sqlite:///{tmp_path}/live.read.db")
    started = folded_apart(monkeypatch)
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    result = g.replay()

    assert result["checksum"] == expected.checksum()
    over = "SELECT meeting_id, over_consecutive FROM {}meetings WHERE meeting_id IN ('C3-2021-06x', 'C3-2021-07c')"
    assert g.db.query(over.format(g.prefix)) == expected.db.query(over.format(expected.prefix)) == \
        ([("C3-2021-06x", 1), ("C3-2021-07c", 0)] if source == "reporting" else [("C3-2021-06x", 0), ("C3-2021-07c", 1)])
    assert g.db.query(f"SELECT member_id FROM {g.prefix}absences WHERE meeting_id = 'C3-2021-06x' "
                      "ORDER BY 1") == [("M3",), ("M6",)]
    assert [a.finished for a in started] == [source == "reporting"] and started[0].proc.returncode is not None
    g.db.close()
    expected.db.close()


def held_under(h: History, envelope_unit: str, meeting: str, unit: str, on: str, absent: dict) -> None:
    """A meeting of ``unit`` (its payload) stored under ``envelope_unit`` (the event's own unit)."""
    attendance = [{"member_id": m, "status": absent.get(m, "present")} for m in ("M3", "M4", "M6")]
    h.add("meeting.held", on, {"meeting_id": meeting, "org_unit_id": unit, "kind": "regular",
                               "duration_minutes": 90, "attendance": attendance}, org_unit_id=envelope_unit)
    for m, status in absent.items():
        h.add("meeting.missed", on, {"meeting_id": meeting, "org_unit_id": unit, "member_id": m,
                                     "excused": status == "excused"}, org_unit_id=envelope_unit)


@pytest.mark.parametrize("crossing", ["unit", "meeting"])
def test_meetings_of_one_unit_kind_and_year_folded_on_both_sides_are_judged_as_live(
        history, tmp_path, monkeypatch, crossing):
    """The replay folds the meetings held stored under a share of the units, the second process the
    others (``meeting_fold.here``: C3 here, C2 there). Where the events' own units part what is judged
    together (``unit``: C5's meetings of 2022 stored under C3 and C2, M6 absent at each) or a meeting is
    stored twice under units on both sides, years apart (``meeting``: the second, of 2023, counts
    nowhere, as live), every meeting held is folded again in one process: the absences in a row as live."""
    if crossing == "unit":
        for month, envelope in zip(range(1, 6), ("C3", "C2", "C3", "C2", "C3")):
            held_under(history, envelope, f"C5-2022-{month:02d}", "C5", f"2022-{month:02d}-12", {"M6": "unexcused"})
        judged = [f"C5-2022-{month:02d}" for month in range(1, 6)]
    else:
        held_under(history, "C2", "C5-dup", "C5", "2022-05-12", {"M6": "unexcused"})
        held_under(history, "C3", "C5-dup", "C5", "2023-05-12", {"M6": "unexcused", "M3": "unexcused"})
        for month in range(6, 10):
            held_under(history, "C3", f"C5-2023-{month:02d}", "C5", f"2023-{month:02d}-12", {"M6": "unexcused"})
        judged = ["C5-dup"] + [f"C5-2023-{month:02d}" for month in range(6, 10)]
    history.flush()
    expected = live(history, f"sqlite:///{tmp_path}/live.read.db")
    started = folded_apart(monkeypatch)
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    result = g.replay()

    assert meeting_fold.here("C3", 50, {}) and not meeting_fold.here("C2", 50, {})
    assert result["checksum"] == g.checksum() == expected.checksum()
    over = f"SELECT meeting_id, held_on, unexcused, over_consecutive FROM {{}}meetings WHERE meeting_id IN " \
           f"({', '.join(repr(m) for m in judged)}) ORDER BY 1"
    rows = g.db.query(over.format(g.prefix))
    assert rows == expected.db.query(over.format(expected.prefix))
    assert [r[3] for r in rows] == ([0, 0, 0, 1, 1] if crossing == "unit" else [0, 0, 0, 1, 0])
    assert [a.split[1] for a in started] == [True]  # folded again in one process
    g.db.close()
    expected.db.close()


def test_events_applied_after_the_tables_were_hashed_are_in_the_replay_checksum(history, tmp_path, monkeypatch):
    """The second process hashes the tables as the replay wrote them; an event appended meanwhile,
    applied before the switch, changes them: the checksum the replay ends with is then read again."""
    started = folded_apart(monkeypatch)
    derive = bulk_replay.Fold.derive

    def appended_meanwhile(fold, tx, *drawn):
        held(history, "C3-2025-12", "C3", "2025-12-10", {"M3": "unexcused"})
        history.flush()
        derive(fold, tx, *drawn)

    monkeypatch.setattr(bulk_replay.Fold, "derive", appended_meanwhile)
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    result = g.replay()
    monkeypatch.setattr(bulk_replay.Fold, "derive", derive)
    expected = live(history, f"sqlite:///{tmp_path}/live.read.db")

    assert g.db.query(f"SELECT COUNT(*) FROM {g.prefix}meetings WHERE meeting_id = 'C3-2025-12'") == [(1,)]
    assert result["checksum"] == g.checksum() == expected.checksum()
    assert [(a.finished, a.proc.returncode, a.hashed) for a in started] == [(True, 0, None)]
    g.db.close()
    expected.db.close()


def test_a_replay_whose_meetings_process_fails_leaves_the_generation_read_before(history, tmp_path, monkeypatch):
    """The second process ending early fails the replay (it says so); reports go on reading the
    generation they read, unchanged, and the next replay builds the new one whole."""
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    g.replay()
    before, meetings = g.checksum(), g.db.query(f"SELECT COUNT(*) FROM {g.prefix}meetings")
    started = folded_apart(monkeypatch)

    def dies(self, args):  # ends at once, with code 3
        self.proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.finished = False
        started.append(self)

    real = meeting_fold.Apart.__init__
    monkeypatch.setattr(meeting_fold.Apart, "__init__", dies)
    with pytest.raises(RuntimeError, match=r"meetings fold process ended early \(exit code 3\)"):
        g.replay()
    assert g.prefix == "g2_" and g.checksum() == before
    assert g.db.query(f"SELECT COUNT(*) FROM {g.prefix}meetings") == meetings and meetings[0][0] > 10
    assert started[0].proc.returncode is not None  # not left running

    monkeypatch.setattr(meeting_fold.Apart, "__init__", real)
    result = g.replay()
    assert g.prefix == "g3_" and result["checksum"] == before
    g.db.close()


def test_the_absences_a_replay_reads_beside_the_second_process_are_the_rows_its_fold_writes(history):
    """Where the second process only passes the ``meeting.missed`` events, the replay reads their
    rows itself (``bulk_replay.missed_rows``), page by page: the very rows ``MeetingFold`` folds from
    the raw events, in position order (a meeting delivered twice included), and the rows of a
    range end at its positions."""
    store = history.stores["meetings"]
    fold = meeting_fold.MeetingFold()
    events = [ev for page in bulk_replay._raw(store, 1) for ev in page]
    for ev in events:
        fold.one(ev)
    assert len(fold.absences) > 10 and len(fold.absences) > len({a[:2] for a in fold.absences})  # one twice
    head = store.head_position()
    assert bulk_replay.missed_rows(store, 1, head) == fold.absences
    middle = events[len(events) // 2][0]
    assert bulk_replay.missed_rows(store, 1, middle) + bulk_replay.missed_rows(store, middle + 1, head) \
        == fold.absences
    # the second process, told so, passes them undecoded and unfolded
    passing = meeting_fold.MeetingFold()
    passing.absences_read_apart = True
    raw = [ev for page in bulk_replay._raw(store, 1, ("meeting.missed",)) for ev in page]
    assert all(isinstance(ev[9], str) for ev in raw if ev[3] == "meeting.missed")
    again = meeting_fold.MeetingFold()
    assert [passing.one(ev) for ev in raw] == [again.one(ev) for ev in events]  # passed as folded
    assert passing.absences == [] and passing.meetings == fold.meetings


def test_a_bulk_replay_fills_the_day_counts_and_spans_a_rebuild_from_its_tables_gives(history, tmp_path):
    """The replay fills them from what it folded (``Fold.derive``), a rebuild reads the fact tables:
    the same rows and the same latest recording times, also where the table kept a row over a later
    one of the same key (an absence recorded again, unexcused, later than anything else)."""
    late = dt.datetime(2031, 1, 1, tzinfo=UTC)
    held(history, "C2-2023-05", "C2", "2023-05-05", {"M3": "excused"})
    history.add("meeting.missed", "2023-05-05", {"meeting_id": "C2-2023-05", "org_unit_id": "C2", "member_id": "M3",
                                                 "excused": False}, recorded_at=late)
    history.add("dues.recorded", "2024-01-31", {"member_id": "M3", "month": "2024-03", "status": "paid"},
                recorded_at=dt.datetime(2024, 4, 1, tzinfo=UTC))
    history.add("dues.recorded", "2024-01-31", {"member_id": "M3", "month": "2024-03", "status": "unpaid"},
                recorded_at=dt.datetime(2024, 4, 1, tzinfo=UTC))
    history.flush()
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    g.replay()
    p = g.prefix

    def derived():
        return (spans_rows(g), g.db.query(f"SELECT id, latest_rec FROM {p}warn_built"), day_counts(g))

    replayed = derived()
    with g.db.transaction() as tx:
        daycounts.build(tx, p)
        warning_spans.build(tx, p)
    assert replayed == derived()
    assert g.db.query(f"SELECT excused FROM {p}absences WHERE meeting_id = 'C2-2023-05'") == [(1,)]
    assert replayed[1][0][1] < "2031" and not [s for s in replayed[0][0] if s[2] == "M3" and s[3].startswith("2023")]
    assert g.db.query(f"SELECT status FROM {p}dues WHERE month = '2024-03'") == [("paid",)]
    assert [s for s in replayed[0][0] if s[0] == "unexcused_absences" and s[2] == "M6"]  # spans, not an empty list
    assert replayed[2][0]  # day counts too
    g.db.close()


def test_the_live_projection_goes_on_from_a_bulk_replay(history, tmp_path):
    """Events appended after the replay are applied once, whether delivered once, twice, or found by a sweep."""
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    g.replay()
    # the indexes built after the rows are there (reports read by them)
    indexes = {r[0] for r in g.db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'g2_%'")}
    assert {"g2_absences_unit", "g2_absences_member", "g2_meetings_unit", "g2_member_facts_type",
            "g2_member_facts_member", "g2_stints_unit", "g2_cases_date", "g2_warn_spans_key", "g2_warn_spans_member",
            "g2_warn_counts_cover"} <= indexes
    heads = dict(g.db.query(f"SELECT stream, version FROM {g.prefix}stream_heads WHERE source = 'members'"))
    assert heads["member-M8"] == 2 and heads["org_unit-C4"] == 2

    held(history, "C3-2022-02", "C3", "2022-02-15", {"M6": "unexcused"})
    history.add("member.removed", "2025-01-01", {"member_id": "M11", "ground": "no_progress"})
    history.add("discipline.annulled", "2025-02-02", {"case_id": "K5", "reason": "appeal"})
    history.flush()
    new = {s: list(history.stores[s].read_all(g.positions()[s] + 1)) for s in SOURCES}
    assert sum(map(len, new.values())) == 4
    g.runner.burst = 1  # each delivery applies its own event (not the ones after it)
    for source, events in new.items():  # the new events, each delivered twice, then an old one again
        for env in events:
            assert g.handle(source, env.to_message()) == "applied"
            assert g.handle(source, env.to_message()) == "duplicate"
    first = next(history.stores["meetings"].read_all(1))
    assert g.handle("meetings", first.to_message()) == "duplicate"
    assert g.catch_up() == 0

    expected = live(history, f"sqlite:///{tmp_path}/live.read.db")
    assert g.checksum() == expected.checksum()
    assert day_counts(g) == day_counts(expected)
    p = g.prefix
    assert g.db.query(f"SELECT COUNT(*) FROM {p}absences WHERE meeting_id = 'C3-2022-02'") == [(1,)]
    assert g.db.query(f"SELECT to_kind FROM {p}stints WHERE member_id = 'M11'") == [("removed",)]
    expected.db.close()


def test_a_bulk_replay_leaves_the_garbage_collector_running_and_as_it_found_it(history, tmp_path):
    """Other threads (queries served meanwhile) keep their cyclic collections while a replay runs."""
    import gc
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    seen = []
    advance = g._advance
    g._advance = lambda n: (seen.append((gc.isenabled(), gc.get_threshold()[0])), advance(n))
    before = gc.get_threshold()
    g.replay()
    assert seen and all(enabled and 700 <= young <= 1_000_000 for enabled, young in seen)
    assert gc.isenabled() and gc.get_threshold() == before and gc.get_freeze_count() == 0
    g.db.close()


def test_a_bulk_replay_writes_with_a_larger_page_cache_and_gives_the_connection_its_own_back(history, tmp_path):
    """The replay's inserts and index sorts run in a page cache of ``CACHE_KIB`` (not SQLite's 2 MB,
    beyond which a sort spills to temporary files); the service's connection keeps its own after."""
    g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replayed.read.db"), history.stores)
    g.db.query("PRAGMA cache_size = -3000")
    seen = []
    advance = g._advance
    g._advance = lambda n: (seen.append(g.db.query("PRAGMA cache_size")[0][0]), advance(n))
    result = g.replay()
    assert seen and set(seen) == {-65_536}  # ``CACHE_KIB``: 64 MiB while replaying
    assert g.db.query("PRAGMA cache_size") == [(-3000,)]
    assert result["checksum"] == g.checksum()
    g.db.close()


def test_the_checksum_sqlite_writes_is_the_one_python_writes(tmp_path, monkeypatch):
    """On SQLite each row's JSON is written by SQLite (``json_array``), elsewhere by orjson: the same
    bytes for text of every kind and 64-bit integers; a table holding a fraction (which SQLite would
    write with 15 digits) or a BLOB (which it refuses) is written by Python."""
    from services.reporting import checksum
    db = ReadModelDB(f"sqlite:///{tmp_path}/checksum.read.db")
    Generations(db, {})
    texts = ["a\"b\\c/d", "".join(map(chr, range(32))), "\x7f\u2028\u2029\uffff", "Tỉnh Thái Nguyên 😀", "", "[1]"]
    with db.transaction() as tx:
        for i, text in enumerate(texts):
            tx.execute("INSERT INTO g1_members (member_id, sex, birth_date, demobilised, admitted_on, official_on, "
                       "birth_year) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (f"M{i}", text, None, text, "2020-01-01", None, [2 ** 63 - 1, -2 ** 63, 0, -5, 1990, None][i]))
    by_python = checksum.table_checksum(db, "g1_", sqlite_json=False)
    python_rows = checksum._rows_json
    monkeypatch.setattr(checksum, "_rows_json", lambda rows: pytest.fail("dumped by Python"))
    assert checksum.table_checksum(db, "g1_") == by_python
    monkeypatch.setattr(checksum, "_rows_json", python_rows)

    with db.transaction() as tx:  # 0.1 + 0.2: SQLite's 15 digits would write 0.3
        tx.execute("INSERT INTO g1_targets (org_unit_id, period, indicator, recorded_at, value, event_id) "
                   "VALUES ('D1', '2020-2025', 'x', '2024-01-01T00:00:00.000000Z', ?, 'e1')", (0.1 + 0.2,))
    assert db.query("SELECT typeof(value) FROM g1_targets") == [("real",)]
    assert checksum.table_checksum(db, "g1_") == checksum.table_checksum(db, "g1_", sqlite_json=False)
    with db.transaction() as tx:  # a BLOB: refused by Python's dump as it was (no row of a replay holds one)
        tx.execute("INSERT INTO g1_member_refs (member_id, event_id, source) VALUES ('M1', ?, 'members')",
                   (b"\x00\x01",))
    for sqlite_json in (True, False):
        with pytest.raises(TypeError):
            checksum.table_checksum(db, "g1_", sqlite_json)
    db.close()


def test_the_checksum_covers_every_table_reports_read(history, tmp_path):
    """An auditor proves replay = live by the checksum: a difference planted in one row of the
    tables reports read instead of the facts (warning spans and counts, day counts and repeats,
    the markers saying they are built) changes it; what no report reads as a fact (a zero count,
    a marker's version token or latest recording time, a page-cache token) does not. On SQLite and as Python writes it."""
    from services.reporting import checksum
    g = live(history, f"sqlite:///{tmp_path}/live.read.db")
    p, db = g.prefix, g.db
    base = g.checksum()
    assert base == checksum.table_checksum(db, p, sqlite_json=False)
    span = db.query(f"SELECT kind, org_unit_id, member_id, from_on FROM {p}warn_spans "
                    "WHERE kind = 'unexcused_absences' ORDER BY member_id, from_on LIMIT 1")[0]
    planted = [  # (change, undo): one row each
        (f"UPDATE {p}warn_spans SET from_on = '1999-01-01' WHERE kind = ? AND org_unit_id = ? AND member_id = ? "
         "AND from_on = ?", span,
         f"UPDATE {p}warn_spans SET from_on = ? WHERE from_on = '1999-01-01'", (span[3],)),
        (f"INSERT INTO {p}warn_spans (kind, org_unit_id, member_id, from_on, to_on, due_on) "
         "VALUES ('unpaid_dues', 'C1', 'M3', '2024-01-01', NULL, NULL)", (),
         f"DELETE FROM {p}warn_spans WHERE kind = 'unpaid_dues' AND member_id = 'M3' AND from_on = '2024-01-01' "
         "AND to_on IS NULL", ()),
        (f"INSERT INTO {p}warn_counts (kind, org_unit_id, day, n) VALUES ('unpaid_dues', 'C1', '1999-01-01', 1)", (),
         f"DELETE FROM {p}warn_counts WHERE day = '1999-01-01'", ()),
        (f"INSERT INTO {p}day_counts (indicator, org_unit_id, day, n) VALUES ('head', 'C1', '1999-01-01', 1)", (),
         f"DELETE FROM {p}day_counts WHERE day = '1999-01-01'", ()),
        (f"INSERT INTO {p}day_repeats (indicator, subject_id) VALUES ('x', 'M3')", (),
         f"DELETE FROM {p}day_repeats WHERE indicator = 'x'", ()),
        (f"DELETE FROM {p}warn_built", (), None, ()),  # not built: reports count from the facts
    ]
    assert db.query(f"SELECT COUNT(*) FROM {p}warn_spans WHERE kind = 'unpaid_dues' AND member_id = 'M3' "
                    "AND from_on = '2024-01-01' AND to_on IS NULL") == [(0,)]
    marked = db.query(f"SELECT id, latest_rec, version FROM {p}warn_built")
    for change, args, undo, undo_args in planted:
        with db.transaction() as tx:
            tx.execute(change, args)
        assert g.checksum() != base, change
        assert checksum.table_checksum(db, p, sqlite_json=False) != base, change
        with db.transaction() as tx:
            if undo is None:
                tx.insert_rows(f"INSERT INTO {p}warn_built (id, latest_rec, version) VALUES (?, ?, ?)", marked)
            else:
                tx.execute(undo, undo_args)
        assert g.checksum() == base, undo
    with db.transaction() as tx:  # what reports do not read as facts
        tx.execute(f"INSERT INTO {p}warn_counts (kind, org_unit_id, day, n) VALUES ('unpaid_dues', 'C1', "
                   "'1999-01-01', 0)")
        tx.execute(f"INSERT INTO {p}day_counts (indicator, org_unit_id, day, n) VALUES ('head', 'C1', '1999-01-01', 0)")
        tx.execute(f"UPDATE {p}warn_built SET version = 'another', latest_rec = '1999-01-01T00:00:00.000000Z'")
        tx.execute(f"UPDATE {p}warn_marks SET token = 'another'")
    assert g.checksum() == base == checksum.table_checksum(db, p, sqlite_json=False)
    g.db.close()


@pytest.mark.parametrize("cpu_max, apart", [("max 100000\n", True), ("200000 100000\n", True),
                                             ("150000 100000\n", False), ("100000 100000\n", False)])
def test_a_replay_folds_apart_only_where_two_cpus_are_allowed(tmp_path, monkeypatch, cpu_max, apart):
    """A container limited to less than two CPUs (cgroup ``cpu.max``) folds in one process, as does
    ``DANGVIEN_REPLAY_PROCESSES=1``."""
    (tmp_path / "cpu.max").write_text(cpu_max)
    monkeypatch.setattr(meeting_fold, "CPU_MAX", str(tmp_path / "cpu.max"))
    monkeypatch.setattr(meeting_fold.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.delenv(meeting_fold.PROCESSES_ENV, raising=False)
    assert meeting_fold.wanted() is apart
    monkeypatch.setenv(meeting_fold.PROCESSES_ENV, "1")
    assert meeting_fold.wanted() is False


class ShortWrites:
    """Standard output unbuffered (``PYTHONUNBUFFERED``) onto a pipe: a write a signal interrupts
    (a profiler attaching, a terminal resized) writes only part of the bytes and says how many."""

    def __init__(self, most: int):
        self.most, self.written = most, bytearray()

    def write(self, data) -> int:
        taken = bytes(data[:self.most])
        self.written += taken
        return len(taken)

    def flush(self) -> None:
        pass


def test_the_pages_of_the_meetings_process_arrive_whole_through_writes_cut_short():
    import io
    import pickle
    import types
    pages = [(3, 3, 7, [("meeting-C1-1", 2)], [("C1-1", "e1", "C1")] * 2000, [("C1-1", "M1", "C1")] * 3000, []),
             (1, 1, 8, [("meeting-C1-2", 0)], [], [("C1-2", "Nguyễn", "C1")], [])]
    out = ShortWrites(most=4096)
    for page in pages:
        meeting_fold._send(out, pickle.dumps(page, 5))
    meeting_fold._send(out, pickle.dumps(None, 5))
    apart = meeting_fold.Apart.__new__(meeting_fold.Apart)
    apart.proc = types.SimpleNamespace(stdout=io.BytesIO(bytes(out.written)), wait=lambda: 0)
    apart.finished = False
    assert list(apart.pages()) == pages and apart.finished
