"""Fixtures shared by the unit tests of every area."""
import contextlib

import pytest

from shared.readmodel import ReadModelDB


@pytest.fixture(params=["sqlite", "postgresql"])
def read_model(request, tmp_path):
    """An empty read model on each backend: an SQLite file, then a fresh PostgreSQL database."""
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            from tests.support.services import pg_database
            url = stack.enter_context(pg_database())
        else:
            url = f"sqlite:///{tmp_path}/t.db"
        db = ReadModelDB(url)
        stack.callback(db.close)
        yield db


@pytest.fixture(autouse=True)
def _no_stopped_sources():
    """Each test starts and ends with no source stopped by a restored store (``shared.checkpoints_watch``
    is process-wide, as ``/readyz`` reads it)."""
    from shared import checkpoints_watch
    checkpoints_watch.STATE.clear()
    yield
    checkpoints_watch.STATE.clear()
