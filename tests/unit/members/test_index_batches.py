"""The members index and the meetings roster write a batch of events (a catch-up, an import's
burst) with one statement per run instead of per event: the rows are exactly those of applying
the same history one delivered event at a time, whatever the batch size."""
from __future__ import annotations

import pytest

from services.meetings.projections import RosterProjection
from services.members.index import MembersIndexProjection
from shared.eventstore.sqlite import SQLiteEventStore
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB
from tests.support.rich_members import rich_members_history


def rows(db: ReadModelDB, projection) -> dict[str, list[tuple]]:
    return {t: sorted(db.query(f"SELECT * FROM {t}"), key=repr) for t in projection.tables()}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rich")
    s = SQLiteEventStore(folder / "members.events.db")
    assert rich_members_history(s) > 400
    yield s
    s.close()


@pytest.mark.parametrize("make", [MembersIndexProjection, RosterProjection], ids=["members_index", "roster"])
def test_a_batch_writes_the_rows_of_one_event_at_a_time(store, tmp_path, make):
    one = ReadModelDB(f"sqlite:///{tmp_path}/one.db")
    single = ProjectionRunner(one, make(), {"members": store})
    for env in store.read_all():
        assert single.handle("members", env) == "applied"
    expected = rows(one, make())
    assert expected[make().tables()[0]], "the history reaches the projection's tables"
    for size in (2000, 7):
        db = ReadModelDB(f"sqlite:///{tmp_path}/batch{size}.db")
        ProjectionRunner(db, make(), {"members": store}).catch_up("members", batch=size)
        assert rows(db, make()) == expected, size
