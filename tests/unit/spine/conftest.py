import pytest

from shared.eventstore.sqlite import SQLiteEventStore


@pytest.fixture
def store(tmp_path):
    s = SQLiteEventStore(tmp_path / "members.events.db")
    yield s
    s.close()
