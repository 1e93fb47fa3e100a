"""The reporting read model on a store restored from an older backup (QA): removals recorded after
the restore, at positions the read model's checkpoint had passed, were skipped as duplicates and
the term table never counted them. Now the source is reported failed (``/readyz``, with the
reason in Vietnamese and English, ``dangvien replay`` named) and a replay counts them — read model
on SQLite and on PostgreSQL, stores in real SQLite files."""
from __future__ import annotations

import pytest

from shared import checkpoints_watch
from shared.eventstore import open_store
from tests.unit.reporting.history import History, history_on, two_cells
from tests.unit.reporting.test_member_fact_unit import removed_in
from tests.unit.spine.test_restored_store import copy


def remove(h: History, member: str) -> None:
    h.add("member.removed", "2021-06-01", {"member_id": member, "ground": "abandoned_activity"}, org_unit_id="C1")
    h.flush()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_removals_recorded_after_a_restore_are_flagged_then_counted_by_the_replay(tmp_path, database):
    with history_on(database, tmp_path) as h:
        two_cells(h, ("M1", "M2", "M3"))
        g = h.generations()
        path = f"{tmp_path}/members.events.db"
        copy(path, f"{tmp_path}/backup.db")
        remove(h, "M1")
        assert removed_in(h, "C1") == 1
        # the members store is restored from the backup (M1's removal is gone), then written on
        h.stores["members"].close()
        copy(f"{tmp_path}/backup.db", path)
        h.stores["members"] = g.stores["members"] = open_store(f"sqlite:///{path}")
        remove(h, "M2")
        remove(h, "M3")
        assert removed_in(h, "C1") == 1  # stale, and said so:
        state = checkpoints_watch.snapshot()[f"projection:{g.prefix}facts/members"]
        assert state["state"] == "failed" and state["action"] == "dangvien replay"
        assert "khôi phục" in state["message_vi"] and "restored from an older backup" in state["message_en"]
        assert g.catch_up() == 0
        g.replay()
        assert removed_in(h, "C1") == 2
        assert checkpoints_watch.snapshot() == {}
        remove(h, "M1")  # and the live projection goes on from the replay's checkpoints
        assert removed_in(h, "C1") == 3
