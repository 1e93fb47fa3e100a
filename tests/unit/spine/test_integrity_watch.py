"""The integrity watch (``shared.integrity_watch.run``) on a real SQLite store, round by round, as a
running process does it: what reports are told (``failing``/``unverified`` and the report header)
when the newest events are deleted between two seals, and when reading the store fails.

Each round ends with one wait (``sleep`` of the interval); the test acts in that wait."""
from __future__ import annotations

import datetime as dt
import sqlite3
from types import SimpleNamespace

import pytest

from shared import integrity_watch
from shared.events import NewEvent
from shared.eventstore import open_store


def ev(n: int) -> NewEvent:
    return NewEvent(type="member.rated", data={"member_id": "A", "rating": f"good {n}"},
                    occurred_on=dt.date(2024, 3, 1), actor="cb-1", org_unit_id="U1")


class Rounds:
    """``sleep`` for the watch: at the end of round ``n`` run ``actions[n]``; stop after ``last``."""

    def __init__(self, actions: dict, last: int):
        self.actions, self.last, self.done, self.states = actions, last, 0, []

    def sleep(self, seconds):
        if seconds <= 0:
            return
        self.states.append(dict(integrity_watch.snapshot().get("members", {})))
        action = self.actions.get(self.done)
        if action:
            action()
        self.done += 1

    def stop(self):
        return self.done > self.last


@pytest.fixture
def watch(tmp_path, monkeypatch):
    path = tmp_path / "members.db"
    store = open_store(f"sqlite:///{path}")
    settings = SimpleNamespace(integrity_interval_seconds=0.05, seal_path=lambda: tmp_path / "seals")
    monkeypatch.setattr(integrity_watch, "FULL_EVERY", 3)
    # one seal only (the first round's): later heads stay unsealed, as between two seal intervals
    monkeypatch.setattr(integrity_watch.time, "monotonic", lambda: 0.0)
    integrity_watch.STATE.pop("members", None)
    yield store, path, settings
    integrity_watch.STATE.pop("members", None)
    store.close()


def delete_from(path, position: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE position >= ?", (position,))


def test_newest_events_deleted_before_they_were_sealed_are_caught_and_stay_caught(watch):
    """Round 0 verifies and seals 3 events; round 1 verifies 2 more (not sealed yet); then both are
    deleted. Round 2 (new events only) must see the head is gone, and round 3 (the whole log again,
    from the seal file that only knows head 3) must not forget it. The old watch said intact."""
    store, path, settings = watch
    store.append("member-A", [ev(i) for i in range(3)], -1)
    rounds = Rounds({0: lambda: store.append("member-A", [ev(3), ev(4)], 2), 1: lambda: delete_from(path, 4)},
                    last=3)
    integrity_watch.run({"members": store}, set(), settings, stop=rounds.stop, sleep=rounds.sleep)
    states = rounds.states
    assert [s["state"] for s in states] == ["intact", "intact", "failed", "failed"], states
    assert states[1]["head_position"] == 5 and states[0]["sealed_head"] == 3
    assert states[2]["first_problem"]["check"] == "head_changed"
    assert states[3]["first_problem"]["check"] == "seal_truncated" and states[3]["first_problem"]["seal_head"] == 5
    from shared.integrity_watch import flag as integrity_header
    flag = integrity_header()
    assert flag["intact"] is False and flag["failing_sources"] == ["members"]
    assert "bị sửa" in flag["message_vi"] and "tampered" in flag["message_en"]


class Flaky:
    """The store, whose reads fail while ``down`` (an outage, or a row the store cannot read)."""

    def __init__(self, store):
        self.store, self.down = store, False

    def __getattr__(self, name):
        return getattr(self.store, name)

    def read_all(self, *args, **kwargs):
        if self.down:
            raise OSError("disk I/O error")
        return self.store.read_all(*args, **kwargs)


def test_a_failed_store_stays_failed_when_reading_it_then_errors(watch):
    """The old watch turned 'failed' into 'error' on the next read error, and reports lost their
    warning while the store was still the tampered one."""
    store, path, settings = watch
    store.append("member-A", [ev(i) for i in range(3)], -1)
    flaky = Flaky(store)

    def tamper():
        with sqlite3.connect(path) as db:
            db.execute("UPDATE events SET actor = 'someone' WHERE position = 2")

    # an edit behind the head is found by the next whole-log round (round 3); then reads fail
    rounds = Rounds({0: tamper, 3: lambda: setattr(flaky, "down", True)}, last=5)
    integrity_watch.run({"members": flaky}, set(), settings, stop=rounds.stop, sleep=rounds.sleep)
    assert [s["state"] for s in rounds.states] == ["intact"] * 3 + ["failed"] * 3, rounds.states
    assert rounds.states[-1]["error"] == "OSError"
    assert integrity_watch.failing() == ["members"] and integrity_watch.unverified() == []


def test_a_store_that_cannot_be_verified_is_named_in_every_report_header(watch):
    """Reading the store fails from the start (an outage, a row nobody can read): the reports
    cannot be confirmed and say so — the old header said nothing unless a store had 'failed'."""
    store, path, settings = watch
    store.append("member-A", [ev(0)], -1)
    flaky = Flaky(store)
    flaky.down = True
    rounds = Rounds({}, last=0)
    integrity_watch.run({"members": flaky}, set(), settings, stop=rounds.stop, sleep=rounds.sleep)
    assert rounds.states[0]["state"] == "error" and integrity_watch.unverified() == ["members"]
    from shared.integrity_watch import flag as integrity_header
    flag = integrity_header()
    assert flag["intact"] is False and flag["unverified_sources"] == ["members"] and flag["failing_sources"] == []
    assert "không kiểm tra được toàn vẹn kho sự kiện members" in flag["message_vi"]
    assert "could not be verified" in flag["message_en"]
