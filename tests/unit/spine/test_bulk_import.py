"""The bulk import (issue 15) as the members service runs it — the store and the key vault asked
in bulk beforehand, every line through the real use cases in memory, one batch written — stores
what importing the lines one by one stores, keeps all or nothing, writes nothing twice when the
file is sent again, and reports its progress. Real SQLite files."""
from __future__ import annotations

import dataclasses
import gc
import json

import pytest

from services.members import application as app
from services.members.dependencies import standalone_deps
from shared.application import Context
from shared.collector import YOUNG
from shared.errors import DomainError
from shared.eventstore import open_store
from shared.importing import PROGRESS_EVERY, parse_jsonl, run_import
from shared.keybatch import KeyBatch
from shared.personal import Vault
from shared.readmodel import ReadModelDB

MEMBERS = 60


def history(members: int = MEMBERS, bad_last: bool = False) -> list[dict]:
    out = [{"type": "org_unit.created", "occurred_on": "2020-01-01",
            "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"}},
           *({"type": "org_unit.created", "occurred_on": "2020-01-01",
              "data": {"org_unit_id": f"C{c}", "name": f"Chi bộ {c}", "kind": "grassroots_cell",
                       "parent_id": "TN"}} for c in range(3))]
    for i in range(members):
        out.append({"type": "member.admitted", "occurred_on": "2020-02-03", "data": {
            "member_id": f"M{i}", "org_unit_id": f"C{i % 3}", "full_name": f"Trần Thị Bình {i}",
            "birth_date": "1995-02-01", "sex": "female"}})
    out += [{"type": "member.transferred", "occurred_on": "2021-03-01",
             "data": {"member_id": f"M{i}", "from_org_unit_id": f"C{i % 3}", "to_org_unit_id": f"C{(i + 1) % 3}"}}
            for i in range(0, members, 7)]
    out += [{"type": "member.removed", "occurred_on": "2022-04-01",
             "data": {"member_id": f"M{i}", "ground": "abandoned_activity"}} for i in range(1, members, 9)]
    if bad_last:  # a member of a unit that does not exist, on the very last line
        out.append({"type": "member.admitted", "occurred_on": "2022-05-01", "data": {
            "member_id": "MX", "org_unit_id": "NOWHERE", "full_name": "Lê Văn X", "birth_date": "1990-01-01",
            "sex": "male"}})
    return out


def parsed(lines: list[dict]) -> list[dict]:
    out, errors = parse_jsonl("\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    assert errors == []
    return out


class Service:
    """A members service's import: its store, its vault (a SQLite file) and ``import_lines``."""

    def __init__(self, folder, name: str):
        self.store = open_store(f"sqlite:///{folder}/{name}.events.db")
        self.vault_db = ReadModelDB(f"sqlite:///{folder}/{name}.vault.db")
        self.vault = Vault(self.vault_db)
        self.deps = dataclasses.replace(standalone_deps(self.store), vault=self.vault)

    def import_lines(self, lines, progress=None, before=None):
        keys = KeyBatch(self.vault)
        keys.prefetch(app.personal_subjects(lines))
        deps = dataclasses.replace(self.deps, vault=keys)
        flush = keys.flush if before is None else (lambda: (before(), keys.flush()))
        return run_import(self.store, app.importers(deps), lines, Context(), before_commit=flush, progress=progress)

    def events(self) -> list[tuple]:
        """Every stored event but its clock, personal fields opened with the vault."""
        out = []
        for e in self.store.read_all():
            data = dict(e.data)
            for f in ("full_name", "birth_date"):
                if f in data:
                    data[f] = self.vault.unseal(e.data["member_id"], data[f])
            out.append((e.position, e.stream, e.stream_version, e.event_id, e.type, e.occurred_on, e.org_unit_id,
                        data))
        return out

    def member(self, member_id: str) -> dict:
        return app.get_member(self.store, member_id, self.deps)

    def keys(self) -> int:
        return self.vault_db.query("SELECT COUNT(*) FROM personal_keys")[0][0]

    def close(self):
        self.store.close()
        self.vault_db.close()


@pytest.fixture
def services(tmp_path):
    made = []

    def make(name):
        made.append(Service(tmp_path, name))
        return made[-1]
    yield make
    for s in made:
        s.close()


def test_bulk_import_stores_and_shows_what_a_line_by_line_import_does(services):
    lines = parsed(history())
    bulk, one_by_one = services("bulk"), services("lines")
    result = bulk.import_lines(lines)
    assert result["ok"], result["errors"]
    for line in lines:
        assert one_by_one.import_lines([line])["ok"]
    assert result["written"] == len(lines) == bulk.store.head_position()
    assert bulk.events() == one_by_one.events()
    assert [bulk.member(f"M{i}") for i in range(MEMBERS)] == [one_by_one.member(f"M{i}") for i in range(MEMBERS)]
    assert bulk.member("M3")["full_name"] == "Trần Thị Bình 3" and bulk.keys() == one_by_one.keys() == MEMBERS


def test_a_file_sent_again_writes_nothing_and_a_half_sent_file_writes_the_rest(services):
    lines = parsed(history())
    whole, halves = services("whole"), services("halves")
    assert whole.import_lines(lines)["written"] == len(lines)
    again = whole.import_lines(lines)
    assert again["ok"] and again["written"] == 0 and whole.store.head_position() == len(lines)
    half = len(lines) // 2
    assert halves.import_lines(lines[:half])["written"] == half
    rest = halves.import_lines(lines)  # the whole file, its first half already stored
    assert rest["ok"] and rest["written"] == len(lines) - half
    assert halves.events() == whole.events()


def test_an_error_on_the_last_line_writes_nothing(services):
    svc = services("members")
    result = svc.import_lines(parsed(history(bad_last=True)))
    assert not result["ok"] and [e["line"] for e in result["errors"]] == [len(history(bad_last=True))]
    assert svc.store.head_position() == 0 and svc.keys() == 0
    assert svc.vault._key("M0", create=False) is None  # no key left behind in the vault's cache either


def test_a_key_made_by_another_command_during_the_import_fails_it_whole(services, tmp_path):
    svc = services("members")
    other = Vault(ReadModelDB(f"sqlite:///{tmp_path}/members.vault.db"))  # another process, same vault
    with pytest.raises(DomainError) as caught:
        svc.import_lines(parsed(history(5)), before=lambda: other.seal("M1", "Lê Văn C"))
    assert caught.value.code == "personal_keys_changed"
    assert svc.store.head_position() == 0


def test_a_member_whose_key_is_stored_already_is_sealed_with_it(services):
    svc = services("members")
    before = svc.vault.seal("M0", "Tên cũ")
    assert svc.import_lines(parsed(history(3)))["ok"]
    assert svc.member("M0")["full_name"] == "Trần Thị Bình 0" and svc.vault.unseal("M0", before) == "Tên cũ"


def test_a_shredded_member_is_refused_and_nothing_is_written(services):
    svc = services("members")
    svc.vault.shred("M2")
    result = svc.import_lines(parsed(history(4)))
    assert not result["ok"] and {e["code"] for e in result["errors"]} == {"personal_data_shredded"}
    assert svc.store.head_position() == 0


def test_progress_is_reported_while_validating_then_writing(services, monkeypatch):
    import shared.importing
    monkeypatch.setattr(shared.importing, "clock", lambda: 0.0)  # lines counted, not timed
    members = 2 * PROGRESS_EVERY + 10
    lines = parsed(history(members))
    seen: list[tuple[str, int, int]] = []
    assert services("members").import_lines(lines, progress=lambda *p: seen.append(p))["ok"]
    total = len(lines)
    assert seen[0] == ("validating", 0, total) and seen[-2:] == [("writing", total, total), ("done", total, total)]
    counts = [done for phase, done, _ in seen if phase == "validating"]
    assert counts == [0, PROGRESS_EVERY, 2 * PROGRESS_EVERY]


def test_a_refused_file_reports_no_writing(services):
    seen: list[str] = []
    result = services("members").import_lines(parsed(history(3, bad_last=True)), progress=lambda p, *_: seen.append(p))
    assert not result["ok"] and "writing" not in seen and seen[-1] == "done"


def test_the_import_runs_with_the_collector_settled_and_gives_it_back(services):
    """What the lines keep alive is frozen as the import goes (``shared.collector``): a collection
    walks only what came since; after the import (done or refused) the process's settings are back."""
    before = gc.get_threshold()
    seen: list[tuple[str, int, int]] = []

    def progress(phase, done, total):
        seen.append((phase, gc.get_threshold()[0], gc.get_freeze_count()))
    assert services("members").import_lines(parsed(history(PROGRESS_EVERY + 10)), progress=progress)["ok"]
    inside = [s for s in seen if s[0] != "done"]
    assert inside and all(young >= YOUNG and frozen > 0 for _, young, frozen in inside), inside
    assert seen[-1][0] == "done" and gc.get_threshold() == before and gc.get_freeze_count() == 0
    seen.clear()
    assert not services("members").import_lines(parsed(history(3, bad_last=True)), progress=progress)["ok"]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
