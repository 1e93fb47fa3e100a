import pytest

from tests.unit.reporting.history import History


@pytest.fixture
def history(tmp_path):
    h = History(tmp_path)
    yield h
    h.close()
