"""Projection versions: a service's own read tables written by older rules are rebuilt on start.

An upgrade that fixes a projection's rules (the meetings roster keeping the admission day a
transfer in carries; the discipline roster keeping a member transferred in as probationary)
must not keep answering from the rows the old rules wrote. The old rows are written here as the
old code wrote them, with the version it left (none: it kept none, or an older one), and the
service is started as in production (``ProjectionsProvider.start``), on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
import structlog

from shared.application import Context
from shared.contracts.discipline import ApplyDiscipline
from shared.contracts.meetings import RecordDues
from shared.errors import DomainError
from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.projection import ProjectionRunner, Route
from shared.runtime import ProjectionsProvider

from services.discipline import application as discipline_app
from services.discipline import dependencies as discipline_deps
from services.discipline.projections import DbRoster, RosterProjection as DisciplineRoster
from services.meetings import application as meetings_app
from services.meetings import dependencies as meetings_deps
from services.meetings.projections import RosterProjection as MeetingsRoster, SqlRoster

from tests.unit.spine.test_projection_runner import Recording, append, seen

D = dt.date


@pytest.fixture
def stores(tmp_path):
    """The members store (what the rosters fold) and each service's own store."""
    made = {s: SQLiteEventStore(tmp_path / f"{s}.events.db") for s in ("members", "meetings", "discipline")}
    made["members"].append("org_unit-C1", [NewEvent(type="org_unit.created", occurred_on=D(2010, 1, 1), data=dict(
        org_unit_id="C1", name="Chi bộ C1", kind="cell", parent_id=None))])
    for i in range(30):  # a few members admitted here, so the rebuild runs in several batches
        made["members"].append(f"member-A{i}", [NewEvent(type="member.admitted", occurred_on=D(2012, 1, 1), data=dict(
            member_id=f"A{i}", org_unit_id="C1", full_name="Nguyễn Văn An", birth_date="1980-01-01", sex="male",
            demobilised="none"))])
    # transferred in from another province: admitted there on 01/03/2020, still probationary
    made["members"].append("member-M4", [NewEvent(type="member.transferred_in", occurred_on=D(2020, 9, 1), data=dict(
        member_id="M4", org_unit_id="C1", full_name="Trần Thị Bình", birth_date="1990-01-01", sex="female",
        origin="Tỉnh ủy Bình Dương", status="probationary", admitted_on="2020-03-01"))])
    yield made
    for s in made.values():
        s.close()


def started(service: str, db, stores) -> ProjectionsProvider:
    """The service's projections started as the service starts them (without the sweep's thread)."""
    make = {"meetings": meetings_deps.projections, "discipline": discipline_deps.projections}[service]
    provider = ProjectionsProvider(service, make).wire(db, stores)
    provider.container = SimpleNamespace(spawn_managed_thread=lambda fn: None)
    provider.start()
    return provider


def old_meetings_rows(db) -> None:
    """The meetings roster as the rules before version 2 wrote it: no admission day kept from a
    transfer in (neither in the fact nor on the member)."""
    with db.transaction() as tx:
        for event_id, data in tx.execute("SELECT event_id, data FROM mt_member_facts "
                                         "WHERE type = 'member.transferred_in'").fetchall():
            old = {k: v for k, v in json.loads(data).items() if k != "admitted_on"}
            tx.execute("UPDATE mt_member_facts SET data = ? WHERE event_id = ?", (json.dumps(old, sort_keys=True),
                                                                                   event_id))
        tx.execute("UPDATE mt_members SET admitted_on = NULL WHERE member_id = 'M4'")


def old_discipline_rows(db) -> None:
    """The discipline roster as the rules before version 2 wrote it: every member transferred in official."""
    with db.transaction() as tx:
        tx.execute("UPDATE dc_roster SET status = 'official' WHERE subject_id = 'M4'")


def stamp(db, projection: str, version: int | None) -> None:
    """The version the old code left: none (it recorded none) or an older one."""
    try:
        db.query("SELECT 1 FROM projection_versions WHERE 1 = 0")
    except Exception:
        return  # a read model of code that kept no versions
    with db.transaction() as tx:
        tx.execute("DELETE FROM projection_versions WHERE projection = ?", (projection,))
        if version is not None:
            tx.execute("INSERT INTO projection_versions (projection, version) VALUES (?, ?)", (projection, version))


def exempt_on_party_age(stores, db, command_id: str) -> list:
    cmd = RecordDues(occurred_on=D(2025, 4, 5), member_id="M4", month="2025-03", status="exempt",
                     exemption_ground="party_age_50")
    return meetings_app.record_dues(stores["meetings"], SqlRoster(db), cmd,
                                    Context(command_id=command_id, today=D(2025, 4, 30)))


def expel(stores, db, case_id: str) -> list:
    cmd = ApplyDiscipline.model_validate(dict(
        case_id=case_id, subject_kind="member", subject_id="M4", form="expulsion", violation_on=D(2020, 10, 1),
        occurred_on=D(2020, 11, 1), decided_by="Ủy ban Kiểm tra Huyện ủy"))
    return discipline_app.apply_discipline(stores["discipline"], DbRoster(db), cmd, Context(today=D(2024, 6, 30)))


def rebuilt(logs) -> list[str]:
    return [e["projection"] for e in logs if e["event"] == "projection_rebuilt"]


def restarted(service: str, db, stores) -> list[dict]:
    """The service started again; what it logged."""
    with structlog.testing.capture_logs() as logs:
        started(service, db, stores)
    return logs


def upgraded(service: str, db, stores, old_rows, projection: str, left: int | None) -> list[dict]:
    """A read model the old code projected (``old_rows``, and the version it ``left``), then the
    start of the new code; what it logged."""
    started(service, db, stores)
    old_rows(db)
    stamp(db, projection, left)
    return restarted(service, db, stores)


@pytest.mark.parametrize("left", [None, 1], ids=["no-version", "version-1"])
def test_a_meetings_roster_of_the_old_rules_is_rebuilt_on_start_once(read_model, stores, left):
    """The dues exemption on party age 50 of a member transferred in, admitted elsewhere on
    01/03/2020, is refused after the upgrade (the old roster knew no admission day and let it through)."""
    logs = upgraded("meetings", read_model, stores, old_meetings_rows, MeetingsRoster.name, left)
    with pytest.raises(DomainError) as refused:
        exempt_on_party_age(stores, read_model, "c1")
    assert refused.value.code == "party_age_too_low" and "01/03/2020" in refused.value.message_vi
    assert rebuilt(logs) == ["meetings_roster"]
    for entry in logs:  # what the log says: names, versions and counts, never a member
        assert "M4" not in json.dumps(entry, default=str) and "Trần" not in json.dumps(entry, default=str)
    # a second start finds the code's version recorded: nothing rebuilt (the row spoiled again stays)
    old_meetings_rows(read_model)
    assert rebuilt(restarted("meetings", read_model, stores)) == []
    assert exempt_on_party_age(stores, read_model, "c2")  # the spoiled row answers: it was not rebuilt


def test_a_discipline_roster_of_the_old_rules_is_rebuilt_on_start(read_model, stores):
    """Expulsion of a probationary member transferred in is refused after the upgrade (Điều lệ
    Đảng, Điều 36); the old roster had made them official."""
    logs = upgraded("discipline", read_model, stores, old_discipline_rows, DisciplineRoster.name, None)
    with pytest.raises(DomainError) as refused:
        expel(stores, read_model, "K1")
    assert refused.value.code == "form_not_allowed" and "đảng viên dự bị" in refused.value.message_vi
    assert rebuilt(logs) == ["discipline_roster"]  # the cases hold no row: nothing to rebuild
    assert rebuilt(restarted("discipline", read_model, stores)) == []


def test_a_crash_mid_rebuild_leaves_the_old_rows_and_the_next_start_rebuilds(read_model, stores, monkeypatch):
    started("discipline", read_model, stores)
    before = read_model.query("SELECT COUNT(*) FROM dc_roster")[0][0]
    old_discipline_rows(read_model)
    stamp(read_model, DisciplineRoster.name, 1)
    applied = []

    def crash_late(self, tx, e):  # the process dies after most of the events were applied
        applied.append(e.position)
        if len(applied) == 25:
            raise KeyboardInterrupt("killed")
        return real(self, tx, e)

    real = DisciplineRoster.apply
    monkeypatch.setattr(DisciplineRoster, "apply", crash_late)
    with pytest.raises(KeyboardInterrupt):
        started("discipline", read_model, stores)
    monkeypatch.setattr(DisciplineRoster, "apply", real)
    # the old rows, whole, still answer (as the old rules did), with their old version
    assert read_model.query("SELECT COUNT(*) FROM dc_roster")[0][0] == before
    assert read_model.query("SELECT version FROM projection_versions WHERE projection = ?",
                            (DisciplineRoster.name,)) == [(1,)]
    assert DbRoster(read_model).subject_on("member", "A3", D(2024, 1, 1)).status == "probationary"
    assert expel(stores, read_model, "K1")[0].data["form"] == "expulsion"
    assert rebuilt(restarted("discipline", read_model, stores)) == ["discipline_roster"]
    with pytest.raises(DomainError) as refused:
        expel(stores, read_model, "K2")
    assert refused.value.code == "form_not_allowed"


def test_a_new_read_model_records_the_versions_without_rebuilding(read_model, stores):
    assert rebuilt(restarted("meetings", read_model, stores)) == []
    assert dict(read_model.query("SELECT projection, version FROM projection_versions")) == {
        "meetings_roster": MeetingsRoster.version, "meetings_view": 1}
    assert [e.member_id for e in SqlRoster(read_model).on("C1", D(2021, 1, 1))][-1] == "M4"


def test_dangvien_rebuild_writes_a_services_projections_again_and_says_so(tmp_path, stores, monkeypatch):
    """``dangvien rebuild discipline`` on the service's data folder: the roster answers by the
    rules of the code, and the operator reads what was done in Vietnamese and English."""
    from typer.testing import CliRunner

    from dangvien.cli import app
    from shared.readmodel import ReadModelDB
    db = ReadModelDB(f"sqlite:///{tmp_path}/discipline.read.db")  # the data folder's read model
    try:
        started("discipline", db, stores)
        old_discipline_rows(db)
        stamp(db, DisciplineRoster.name, 1)
    finally:
        db.close()
    for name in ("members", "discipline"):  # the command opens the data folder's stores itself
        monkeypatch.delenv(f"DANGVIEN_STORE_{name.upper()}", raising=False)
    monkeypatch.delenv("DANGVIEN_READMODEL_DISCIPLINE", raising=False)
    out = CliRunner().invoke(app, ["rebuild", "discipline", "--data-dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "Xong / done: discipline_roster — 32 sự kiện / events, phiên bản / version 1 → 2" in text
    assert "Xong / done: discipline_cases — 0 sự kiện / events" in text
    db = ReadModelDB(f"sqlite:///{tmp_path}/discipline.read.db")
    try:
        with pytest.raises(DomainError) as refused:
            expel(stores, db, "K1")
        assert refused.value.code == "form_not_allowed"
    finally:
        db.close()
    out = CliRunner().invoke(app, ["rebuild", "reporting", "--data-dir", str(tmp_path)])
    assert out.exit_code == 2 and "dangvien replay" in out.output
    # a mistyped data folder: refused, naming what is missing, and nothing is created there
    mistyped = tmp_path / "khong-co"
    out = CliRunner().invoke(app, ["rebuild", "discipline", "--data-dir", str(mistyped)])
    assert out.exit_code == 2 and "không tồn tại / does not exist" in " ".join(out.output.split())
    assert not mistyped.exists()


# -- the runner's part, on a projection that writes down what it applies ---------------------------

@pytest.fixture
def sqlite_model(tmp_path):
    """The runner's part on SQLite (the recording projection writes SQLite's booleans); the same
    statements run on PostgreSQL in the services' tests above."""
    from shared.readmodel import ReadModelDB
    db = ReadModelDB(f"sqlite:///{tmp_path}/read.db")
    yield db
    db.close()


def recording(db, store, version=2) -> ProjectionRunner:
    projection = Recording()
    projection.version = version
    return ProjectionRunner(db, projection, {"members": store})


def versions(db) -> dict:
    return dict(db.query("SELECT projection, version FROM projection_versions"))


def test_a_rebuild_writes_every_row_again_from_position_zero_in_batches(sqlite_model, store):
    append(store, 5)
    r = recording(sqlite_model, store, version=1)
    assert not r.stale() and r.catch_up("members") == 5
    r.record_version()
    assert versions(sqlite_model) == {"recording": 1}
    with sqlite_model.transaction() as tx:  # rows of the old rules: one lost, one of another table
        tx.execute("DELETE FROM seen WHERE position = 3")
        tx.execute("INSERT INTO other_table (k) VALUES ('old')")
    r = recording(sqlite_model, store, version=2)
    assert r.stale()
    done = []
    assert r.rebuild(batch=2, progress=done.append) == 5
    assert done == [2, 2, 1] and r.recorded_version() == 2 and not r.stale()
    assert [c[1:] for c in r.projection.calls if c[0] == "prepare"] == [("members", [1, 2]), ("members", [3, 4]),
                                                                         ("members", [5])]
    assert seen(sqlite_model) == [(i, "s-1", i - 1) for i in range(1, 6)]
    assert sqlite_model.query("SELECT COUNT(*) FROM other_table") == [(0,)]
    assert sqlite_model.query("SELECT COUNT(*) FROM batches") == [(3,)]  # prepared and finished per batch
    assert r.checkpoint("members") == 5
    # live again from there: what was rebuilt is a duplicate, what comes next is applied
    [later] = append(store, 1, stream="s-2")
    assert r.handle("members", next(iter(store.read_all(5))).to_message()) == "duplicate"
    assert r.handle("members", later.to_message()) == "applied"
    assert seen(sqlite_model)[-1] == (6, "s-2", 0)


def test_stale_rows_are_those_of_another_version_or_of_none_beside_rows(sqlite_model, store):
    append(store, 2)
    r = recording(sqlite_model, store)
    assert not r.stale()  # nothing here yet
    with sqlite_model.transaction() as tx:  # a checkpoint at 0 (PostgreSQL makes one as it locks it)
        tx.execute("INSERT INTO projection_checkpoints (projection, source, position) VALUES ('recording', 'members', 0)")
    assert not r.stale()
    with sqlite_model.transaction() as tx:  # a row without a checkpoint
        tx.execute("INSERT INTO other_table (k) VALUES ('x')")
    assert r.stale()
    with sqlite_model.transaction() as tx:
        tx.execute("DELETE FROM other_table")
        tx.execute("UPDATE projection_checkpoints SET position = 1")
    assert r.stale()
    with sqlite_model.transaction() as tx:
        tx.execute("UPDATE projection_checkpoints SET position = 0")
        tx.execute("INSERT INTO projection_versions (projection, version) VALUES ('recording', 2)")
    assert not r.stale()
    with sqlite_model.transaction() as tx:
        tx.execute("UPDATE projection_versions SET version = 3")
    assert r.stale()  # a newer version's rows too: the code's rules are what answers


def test_a_rebuild_another_replica_committed_meanwhile_is_not_done_again(sqlite_model, store):
    append(store, 3)
    r = recording(sqlite_model, store)
    r.catch_up("members")
    with sqlite_model.transaction() as tx:  # the other replica's new rows and version
        tx.execute("DELETE FROM seen WHERE position = 2")
        tx.execute("INSERT INTO projection_versions (projection, version) VALUES ('recording', 2)")
    assert r.rebuild(force=False) == 0
    assert [p for p, _, _ in seen(sqlite_model)] == [1, 3]
    assert r.rebuild() == 3  # asked for (dangvien rebuild): done whatever the version
    assert [p for p, _, _ in seen(sqlite_model)] == [1, 2, 3]


class Waiting(Recording):
    name = "waiting"

    def route(self, tx, source, e):
        return Route.WAIT if e.stream == "s-2" else Route.MINE


def test_a_rebuild_that_would_wait_for_another_partition_fails_and_keeps_the_old_rows(sqlite_model, store):
    append(store, 2)
    r = ProjectionRunner(sqlite_model, Waiting(), {"members": store})
    r.catch_up("members")
    append(store, 1, stream="s-2")
    with pytest.raises(RuntimeError, match="another partition"):
        r.rebuild()
    assert [p for p, _, _ in seen(sqlite_model)] == [1, 2] and r.recorded_version() is None
