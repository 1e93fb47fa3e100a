"""Build event histories for reporting tests by appending straight to real SQLite stores."""
from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Iterator

from shared.eventstore import ANY, open_store
from shared.events import NewEvent
from shared.readmodel import ReadModelDB

from services.reporting.generations import Generations
from services.reporting.view import View

SOURCES = ("members", "discipline", "meetings", "reporting")


def stream_of(type_: str, data: dict) -> str:
    family = type_.split(".")[0]
    if family == "org_unit":
        return f"org_unit-{data['org_unit_id']}"
    if family == "member":
        return f"member-{data['member_id']}"
    if family == "discipline":
        return f"case-{data['case_id']}"
    if family == "meeting":
        return f"meeting-{data['meeting_id']}"
    if family == "dues":
        return f"dues-{data['member_id']}"
    if family == "target":
        return f"target-{data['org_unit_id']}"
    return f"{family}-{data.get('member_id') or data.get('case_id') or data.get('org_unit_id') or 'misc'}"


def owner(type_: str) -> str:
    from shared.catalog import OWNERS
    return OWNERS[type_.split(".")[0]]


class History:
    """Four SQLite stores and a reporting read model in a folder; events are buffered then written."""

    def __init__(self, folder: Path, readmodel_url: str | None = None):
        self.folder = folder
        self.readmodel_url = readmodel_url or f"sqlite:///{folder}/reporting.read.db"
        self.stores = {s: open_store(f"sqlite:///{folder}/{s}.events.db") for s in SOURCES}
        self.pending: dict[str, list[tuple[str, NewEvent]]] = {s: [] for s in SOURCES}
        self._gens: Generations | None = None
        self.db: ReadModelDB | None = None

    def add(self, type_: str, on: dt.date | str, data: dict, org_unit_id: str | None = None,
            recorded_at: dt.datetime | None = None, actor: str = "test") -> None:
        on = dt.date.fromisoformat(on) if isinstance(on, str) else on
        ev = NewEvent(type=type_, data=data, occurred_on=on, org_unit_id=org_unit_id, actor=actor,
                      recorded_at=recorded_at)
        self.pending[owner(type_)].append((stream_of(type_, data), ev))

    def flush(self) -> None:
        for source, items in self.pending.items():
            if items:
                self.stores[source].append_batch([(s, [e], ANY) for s, e in items])
            items.clear()

    def add_lines(self, lines: list[dict]) -> None:
        """Import-file lines (demo data) as stored events."""
        for line in lines:
            self.add(line["type"], line["occurred_on"], line["data"], org_unit_id=line.get("org_unit_id"))

    def generations(self) -> Generations:
        self.flush()
        if self._gens is None:
            self.db = ReadModelDB(self.readmodel_url)
            self._gens = Generations(self.db, self.stores)
        self._gens.catch_up()
        return self._gens

    def view(self, as_of: dt.date | None = None, known_at: dt.datetime | None = None,
             structure: str | None = None) -> View:
        g = self.generations()
        return View.of(self.db, g.prefix, as_of or dt.date(2030, 1, 1), known_at, structure)

    def close(self) -> None:
        for s in self.stores.values():
            s.close()
        if self.db:
            self.db.close()


@contextlib.contextmanager
def history_on(database: str, folder: Path) -> Iterator[History]:
    """A History whose read model is a SQLite file (``sqlite``) or a fresh PostgreSQL database
    (``postgresql``), closed (and dropped) afterwards."""
    with contextlib.ExitStack() as stack:
        url = None
        if database == "postgresql":
            from tests.support.services import pg_database
            url = stack.enter_context(pg_database())
        history = History(folder, url)
        stack.callback(history.close)
        yield history


def two_cells(h: History, members: tuple[str, ...] = ("M1",)) -> None:
    """A province TN, a district D1 and two cells C1, C2 (01/01/2020); ``members`` admitted into
    C1 on 01/02/2020."""
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"})
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "D1", "name": "Huyện", "kind": "direct",
                                             "parent_id": "TN"})
    for cell in ("C1", "C2"):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}", "kind": "cell",
                                                 "parent_id": "D1"})
    for member in members:
        h.add("member.admitted", "2020-02-01", {"member_id": member, "org_unit_id": "C1", "full_name": "X",
                                                "birth_date": "1990-01-01", "sex": "male"}, org_unit_id="C1")


def province_and_cell(h: History, on: str, recorded_at: dt.datetime | None = None) -> None:
    """A province TN and one cell C1 under it, created on ``on`` (recorded at ``recorded_at``)."""
    h.add("org_unit.created", on, {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"}, recorded_at=recorded_at)
    h.add("org_unit.created", on, {"org_unit_id": "C1", "name": "Chi bộ 1", "kind": "cell", "parent_id": "TN"},
          org_unit_id="C1", recorded_at=recorded_at)
