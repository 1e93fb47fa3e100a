"""Every test process hashes with one integrity key of its own, kept outside the repository and
every data folder (processes the tests start get their own key beside their data folder)."""
import os
import tempfile
from pathlib import Path


def pytest_configure(config):
    if os.environ.get("DANGVIEN_INTEGRITY_KEY") or os.environ.get("DANGVIEN_INTEGRITY_KEY_FILE"):
        return
    from shared import keys
    folder = Path(tempfile.mkdtemp(prefix="dangvien-test-key-"))
    path = folder / "integrity.key"
    keys.create_file(path)
    os.environ["DANGVIEN_INTEGRITY_KEY_FILE"] = str(path)
    keys.use(None)
