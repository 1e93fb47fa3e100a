"""``-p no:randomly -p tests.support.reverse_order``: run the collected tests last to first, the
order least like the one they were written in (a test that needs the one above it fails)."""


def pytest_collection_modifyitems(items):
    items.reverse()
