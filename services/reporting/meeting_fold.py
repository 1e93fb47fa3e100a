"""The meetings of a full replay, folded in a second process (issue 15).

The meetings store holds most of a province's events (87 % at 100,000 members over five years:
one ``meeting.held`` per cell and month, one ``meeting.missed`` per absence), and folding them
reads nothing the folds of the other stores write: a meeting is judged from its own attendance,
the rules of its day and the meetings held before it in its unit, kind and year. So a replay may
hand the meetings store to a second process (``run``) while it folds the members and discipline
stores itself: that process reads the stored rows, decodes the payloads and folds them
(``MeetingFold``, the live handlers of ``meeting.held`` and ``meeting.missed`` read for a replay),
and passes each page's rows to the replay on its standard output (pickled, a few pages ahead);
the replay writes them, in the page's order, with every other row (``bulk_replay.Fold.take``).
The events of any other type in the meetings store are passed on as read, and folded by the
replay in their order. From a SQLite store the ``meeting.missed`` events (two in three, with small
payloads) are only passed, undecoded: the replay reads their rows itself for the page's positions
(``bulk_replay.missed_rows``), which costs it less than the decoding, folding and pickling cost
here, where the bound is; so do the ``meeting.held`` events of a share of the units (by the events'
own unit: ``here``), passed undecoded and folded by the replay — the meetings of one unit, kind and
year are judged together on one side, which the replay checks with the meeting ids seen on both
(else it folds every meeting held again alone: ``bulk_replay.Fold.after_apart``). Its pages sent,
the process serves the replay's tail (``serve``): it draws the warning spans from the inputs the
replay folded (stints, absences, dues: sent to it) and the member facts already written, while the
replay writes its last rows; then it hashes the fact tables for the checksum while the replay
writes the day counts and spans, and the derived tables once they are written. The checksum is the one ``checksum.table_checksum`` reads, byte for byte;
the replay uses it only when no event was applied to the generation since (else it reads again).

Same rows: the second process runs the very fold the replay runs in-process, and the replay uses
it only where the result cannot differ — when the stores before the meetings store held no
meeting (then it folds the meetings store itself), and a meeting recorded in a store after it is
judged with the meetings the second process held, which it asks for then (``Apart.state``).
``tests/unit/reporting/test_bulk_replay.py`` compares the checksum of both paths with the live
projection's. If the second process fails, the replay fails (the previous generation stays the
one read) and says so.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import zlib
from json.encoder import encode_basestring_ascii as _ascii
from typing import Callable, Iterator

import orjson

from shared.eventstore.records import decode_json
from shared.rules import rules_on

from services.reporting.facts import meeting_standard

#: the source folded apart, and the fewest stored events for which a second process pays (its
#: start, about 0.3 s of CPU, and the pickling of its rows)
SOURCE = "meetings"
APART_FROM = 50_000
#: ``DANGVIEN_REPLAY_PROCESSES=1``: fold every store in the replay's process
PROCESSES_ENV = "DANGVIEN_REPLAY_PROCESSES"
#: pages the second process may fold ahead of the replay (each about 1 MB pickled)
AHEAD = 32
#: the share (per cent) of the units whose ``meeting.held`` events the replay decodes and folds
#: itself (``here``), passed undecoded by the second process, the bound of the fold otherwise (the
#: replay waited for its pages a third of that phase)
HELD_HERE = 15
HELD = "meeting.held"
_LENGTH = struct.Struct("<Q")  # each message: its length, then its pickle


def _json_names(names: list) -> str:
    """``json.dumps(names)`` (the live handler's text), spelled out for a list of strings."""
    try:
        return "[" + ", ".join(map(_ascii, names)) + "]"
    except TypeError:  # a name that is not text
        return json.dumps(names)


class MeetingFold:
    """The meetings of one generation being replayed: rows of ``meetings`` and ``absences`` (written
    page by page by the replay) and the meetings held per unit, kind and year (absences in a row)."""

    def __init__(self):
        self.meetings: list[tuple] = []
        self.absences: list[tuple] = []
        self.meetings_seen: set[str] = set()
        #: (unit, kind, year) → [(held_on, meeting_id, absent members)] in key order: absences in a row
        self.held: dict[tuple, list] = {}
        self.folded = 0  # events folded (a replay folds the meetings store apart only while none was)
        #: the absences are read from the store by the replay itself (``bulk_replay.missed_rows``):
        #: ``missed`` only passes them
        self.absences_read_apart = False
        self._rules: dict[str, tuple] = {}
        self._standards: dict[tuple, tuple[int, int]] = {}

    def forget(self) -> None:
        """Drop what only the folding needs (once every meeting is written)."""
        self.meetings_seen, self.held, self._standards = set(), {}, {}

    def _limit(self, on: str) -> tuple:
        rules = self._rules.get(on)
        if rules is None:
            day = dt.date.fromisoformat(on)
            rules = self._rules[on] = (day, rules_on(day).meeting_max_consecutive_absences)
        return rules

    def held_meeting(self, ev: tuple) -> bool:
        self.folded += 1
        _, _, _, _, on, rec, _, _, event_id, d = ev
        attendance = d.get("attendance", [])
        statuses = [a["status"] for a in attendance]  # another status is absent, and counted nowhere (as live)
        expected, present = len(statuses), statuses.count("present")
        excused, unexcused = statuses.count("excused"), statuses.count("unexcused")
        # in attendance order, as ``_absent_in_a_row`` counts them
        absent = [a["member_id"] for a in attendance if a["status"] != "present"] if present < expected else []
        day, limit = self._limit(on)
        meeting_id, unit, kind = d["meeting_id"], d["org_unit_id"], d["kind"]
        key = (unit, kind, on[:4])
        over = 0
        if absent:  # ``FactsProjection._absent_in_a_row`` over the meetings held before, in memory
            held = self.held.get(key, ())
            i = bisect.bisect_left(held, (on, meeting_id))
            earlier = held[max(0, i - limit):i] if limit > 0 else []
            if len(earlier) >= limit:
                missed: dict[str, int] = {}
                for _, _, names in earlier:
                    for m in names:
                        missed[m] = missed.get(m, 0) + 1
                over = len([m for m in absent if missed.get(m, 0) >= limit])
        minutes, combined = d.get("duration_minutes"), d.get("combined")
        judged = (on, d.get("kind"), minutes, bool(combined), expected, present, unexcused, over)
        try:
            duration_ok, standard = self._standards[judged]
        except KeyError:  # ``meeting_standard`` reads only these (many cells meet on the same day)
            duration_ok, standard = self._standards[judged] = meeting_standard(
                day, judged[1], minutes, judged[3], expected,
                {"present": present, "excused": excused, "unexcused": unexcused}, over)
        except TypeError:  # an unhashable value: judged on its own
            duration_ok, standard = meeting_standard(
                day, judged[1], minutes, judged[3], expected,
                {"present": present, "excused": excused, "unexcused": unexcused}, over)
        attended = d.get("committee_member_attended")
        if meeting_id not in self.meetings_seen:
            self.meetings_seen.add(meeting_id)
            names = sorted(absent)
            bisect.insort(self.held.setdefault(key, []), (on, meeting_id, tuple(names)))
            self.meetings.append((meeting_id, event_id, unit, kind, on, rec, minutes, expected,
                                  present, excused, unexcused, 1 if combined else 0,
                                  None if attended is None else int(bool(attended)), duration_ok, standard, over,
                                  _json_names(names)))
        return True

    def one(self, ev: tuple) -> bool:
        """Fold a meeting's event (True); False for an event of another type."""
        type_ = ev[3]
        if type_ == "meeting.held":
            return self.held_meeting(ev)
        if type_ == "meeting.missed":
            return self.missed(ev)
        return False

    def missed(self, ev: tuple) -> bool:
        self.folded += 1
        if self.absences_read_apart:
            return True
        self.absences.append(absence(ev[9], ev[4], ev[5], ev[8]))
        return True


def here(unit, share: int, sides: dict) -> bool:
    """Are the meetings held stored under ``unit`` (the event's own unit, read without decoding its
    payload) folded by the replay (``share`` per cent of the units, by a hash of the name)?
    ``sides`` remembers each unit's answer."""
    side = sides.get(unit)
    if side is None:
        side = sides[unit] = zlib.crc32(str(unit).encode("utf-8")) % 100 < share
    return side


def decoded(d):
    """A payload the store gave undecoded (``bulk_replay._raw``), decoded as ``_raw`` decodes."""
    if d.__class__ is str or d.__class__ is bytes:
        try:
            return orjson.loads(d)
        except orjson.JSONDecodeError:  # JSON orjson refuses
            return decode_json(d)
    return d


def fold_held(fold: MeetingFold, events: list[tuple]) -> None:
    """Fold the meetings held that the second process passed undecoded (``here``): (occurred_on,
    recorded_at, unit, event_id, payload) in position order."""
    for on, rec, unit, event_id, d in events:
        fold.held_meeting((0, "", 0, HELD, on, rec, unit, "", event_id, decoded(d)))


def absence(d: dict, on: str, rec: str, event_id: str) -> tuple:
    """The row of ``absences`` of a ``meeting.missed`` event (its payload ``d``), as live."""
    return d["meeting_id"], d["member_id"], d["org_unit_id"], on, rec, 1 if d.get("excused") else 0, event_id


def in_stream_order(events: list[tuple], heads: dict[str, int], fold: Callable[[tuple], object],
                    changed: dict[str, int] | None = None) -> int:
    """``fold`` each raw event (``bulk_replay._raw``) in order whose stream's previous event was
    folded, noting its version in ``heads`` (and ``changed``); an event folded already is passed
    over. Returns the events passed: it stops before an event whose previous one is missing (the
    live runner's guard: it waits; never in a store's own history, whose versions have no gaps)."""
    for i, ev in enumerate(events):
        stream, version = ev[1], ev[2]
        applied = heads.get(stream, -1)
        if version > applied:
            if version != applied + 1:
                return i
            fold(ev)
            heads[stream] = version
            if changed is not None:
                changed[stream] = version
    return len(events)


# -- the second process ------------------------------------------------------------------------
def opening(store) -> list[str] | None:
    """The arguments that open ``store`` again in another process; None for a store that cannot
    be (in memory, a KurrentDB store, a store that gives only envelopes)."""
    from shared.eventstore.postgres import PostgresEventStore
    from shared.eventstore.sqlite import SQLiteEventStore
    if type(store) is SQLiteEventStore and store.path != ":memory:":
        return [store.url, ""]
    if type(store) is PostgresEventStore:
        return [store.url, store.schema]
    return None


#: where a container's CPU limit is read (cgroup v2: "quota period", or "max period")
CPU_MAX = "/sys/fs/cgroup/cpu.max"


def cpus() -> float:
    """The CPUs this process may use: its affinity, and a container's CPU limit if lower."""
    try:
        n: float = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    try:
        with open(CPU_MAX) as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            n = min(n, int(quota) / int(period))
    except (OSError, ValueError):  # no cgroup v2 limit to read
        pass
    return n


def wanted() -> bool:
    """May a replay fold apart here (two CPUs or more, not turned off)?"""
    if os.environ.get(PROCESSES_ENV, "").strip() == "1":
        return False
    return cpus() >= 2


def apart(stores, sources: tuple[str, ...]) -> "Apart | None":
    """A second process folding the meetings store, started now; None where the replay folds it."""
    store = stores.get(SOURCE)
    if SOURCE not in sources or store is None or not wanted():
        return None
    args = opening(store)
    if args is None or store.count_after(0) < APART_FROM:
        return None
    here = absences_here(store)
    helper = Apart(args + ([ABSENCES_HERE] if here else []) + ([f"{HELD_HERE_ARG}{HELD_HERE}"] if HELD_HERE else []))
    helper.store = store if here else None
    return helper


#: the second process's argument that leaves the absences to the replay (``absences_here``), and
#: the one that leaves it the meetings held of a share of the units (``here``)
ABSENCES_HERE = "absences-read-by-the-replay"
HELD_HERE_ARG = "held-folded-by-the-replay="


def absences_here(store) -> bool:
    """Does the replay read the absences of the meetings store itself (``bulk_replay.missed_rows``)
    while the second process only passes them? On a SQLite store (read in the replay's process
    without a round trip): two events in three are absences, and the replay reads, decodes and
    folds their small payloads in less time than the second process took to decode, fold and
    pickle them and the replay to unpickle them; the second process, the bound of the fold,
    keeps the meetings held."""
    from shared.eventstore.sqlite import SQLiteEventStore
    return type(store) is SQLiteEventStore


class Apart:
    """The replay's handle on the second process: its pages, its meetings held, its end."""

    source = SOURCE
    store = None  # the meetings store, where this process reads its absences itself (``absences_here``)

    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.finished = False  # every page read

    def _next(self):
        """The next message: its length (8 bytes), then its pickle. Read to the byte (a pipe made
        cooperative by eventlet, as in the service, returns what has arrived so far)."""
        try:
            return pickle.loads(self._read(_LENGTH.unpack(self._read(_LENGTH.size))[0]))
        except (EOFError, pickle.UnpicklingError, OSError) as exc:
            code = self.proc.wait()
            raise RuntimeError(f"the meetings fold process ended early (exit code {code})") from exc

    def _read(self, n: int) -> bytes:
        out = self.proc.stdout.read(n)
        if len(out) == n:
            return out
        parts = [out]
        while n > (got := sum(map(len, parts))):
            part = self.proc.stdout.read(n - got)
            if not part:
                raise EOFError
            parts.append(part)
        return b"".join(parts)

    def pages(self) -> Iterator[tuple]:
        """(events read, events passed, last position passed, stream heads changed, meetings rows,
        absences rows, events of other types, and (first, last) positions of the page's absences
        left to the replay, or None) of each page, in position order."""
        while (page := self._next()) is not None:
            yield page
        self.finished = True

    def state(self) -> tuple[dict, set]:
        """The meetings held and seen (after the last page): what a meeting recorded later is judged with."""
        if not self.finished:  # what is left after a page that stopped at a missing event: its end
            for _ in self.pages():
                pass
        self.proc.stdin.write(b"state\n")
        self.proc.stdin.flush()
        return self._next()

    def folded(self) -> tuple[set, set]:
        """The meeting ids this process saw and the (unit, kind, year) of the meetings it held (after
        the last page): those the replay folded itself must be others (``bulk_replay.Fold.after_apart``)."""
        if not self.finished:
            for _ in self.pages():
                pass
        self._command(b"folded")
        return self._next()

    def derive_spans(self, url: str, prefix: str, inputs: tuple) -> None:
        """Have the process draw the warning spans of ``prefix`` (``warning_spans.spans_of``) from
        ``inputs`` (stints, unexcused absences, dues and admissions as the replay folded them) and
        the member facts already written at ``url``, while the replay writes the rest (``spans``)."""
        data = pickle.dumps(inputs, 5)
        self._command(b"spans " + json.dumps([url, prefix, len(data)]).encode())
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def spans(self) -> tuple | None:
        """(spans, rows of their counts) that ``derive_spans`` asked for; None where the process could not."""
        try:
            return self._next()
        except RuntimeError:  # it ended: the replay draws them itself
            return None

    def hash_facts(self, url: str, prefix: str) -> None:
        """Have the process hash the fact tables of ``prefix`` (``checksum.facts_part``) in the
        read model at ``url``, as the checksum does, while the replay derives the day counts and
        spans (after its last page: the process holds nothing else by then)."""
        self._command(b"hash " + json.dumps([url, prefix]).encode())

    def checksum(self) -> str | None:
        """The checksum of the generation ``hash_facts`` named: its derived tables hashed on from
        the fact tables (once the replay has written them); None where the process could not."""
        try:
            self._command(b"derived")
            return self._next()
        except (OSError, RuntimeError):  # it ended: the caller reads the tables itself
            return None

    def _command(self, line: bytes) -> None:
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        """End the process: told to (it waits for a command once every page is read), else killed."""
        if not self.finished:
            self.proc.kill()
        try:
            self.proc.stdin.close()
        except OSError:  # it ended already
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def run(url: str, schema: str, out, commands, absences_here: bool = False, held_here: int = 0) -> None:
    """Fold the store at ``url`` (as ``bulk_replay.Fold.source`` does: the stream guard, then the
    meetings folded, the rest passed on), writing a pickled page after each page read and None at
    the end; then, asked ``state``, the meetings held and seen. ``absences_here``: the
    ``meeting.missed`` events are passed (stream heads), not decoded or folded: the replay reads
    their rows from the store (``bulk_replay.missed_rows``). ``held_here``: the ``meeting.held``
    events of that share of the units (``here``) are passed undecoded in each page, for the replay to
    fold (``fold_held``): the meetings of one unit, kind and year are judged together, on one side
    (``bulk_replay.Fold.after_apart`` checks it, with the meeting ids seen on both)."""
    from shared.collector import settled
    from shared.eventstore import open_store
    from services.reporting.bulk_replay import _raw
    if schema:
        from shared.eventstore.postgres import PostgresEventStore
        store = PostgresEventStore(url, schema)
    else:
        store = open_store(url)
    fold, heads, sides = MeetingFold(), {}, {}
    fold.absences_read_apart = absences_here
    others: list[tuple] = []
    theirs: list[tuple] = []

    def one(ev: tuple) -> None:
        if ev[3] == HELD and held_here:
            if here(ev[6], held_here, sides):
                theirs.append((ev[4], ev[5], ev[6], ev[8], ev[9]))
                return
            ev = (*ev[:9], decoded(ev[9]))
        if not fold.one(ev):
            others.append(ev)

    ready: queue.Queue = queue.Queue(AHEAD)
    writer = threading.Thread(target=_write, args=(ready, out), daemon=True)
    writer.start()
    undecoded = ("meeting.missed",) * absences_here + (HELD,) * bool(held_here)
    try:
        with settled() as settle:
            for page in _raw(store, 1, undecoded):
                changed = {}
                passed = in_stream_order(page, heads, one, changed)
                last = page[passed - 1][0] if passed else None
                ready.put(pickle.dumps((len(page), passed, last, list(changed.items()), fold.meetings, fold.absences,
                                        others, (page[0][0], last) if absences_here and passed else None, theirs), 5))
                others.clear()
                theirs.clear()
                fold.meetings, fold.absences = [], []
                settle()
                if passed < len(page):
                    break
    finally:
        store.close()
        ready.put(pickle.dumps(None, 5))
        ready.put(None)
        writer.join()
    serve(fold, out, commands)


def serve(fold: MeetingFold, out, commands) -> None:
    """Answer the replay's commands once every page is sent, until it closes the pipe: ``state``
    (the meetings held and seen), ``spans [url, prefix, size]`` and a pickle of that size (the
    warning spans drawn: ``Apart.derive_spans``), ``hash [url, prefix]`` (the fact tables of a finished replay,
    hashed for its checksum: ``Apart.hash_facts``) and ``derived`` (the checksum, its derived
    tables hashed on: ``Apart.checksum``; None if hashing failed, said on standard error)."""
    db = digest = None
    try:
        while line := commands.readline():
            word, _, rest = line.strip().partition(b" ")
            if word == b"state":
                _send(out, pickle.dumps((fold.held, fold.meetings_seen), 5))
            elif word == b"folded":
                _send(out, pickle.dumps((fold.meetings_seen, set(fold.held)), 5))
            elif word == b"spans":
                fold.forget()  # the fold is over: only the tables are read from now on
                url, prefix, size = json.loads(rest)
                inputs = pickle.loads(_exactly(commands, size))
                try:
                    from shared.readmodel import ReadModelDB
                    from services.reporting import warning_spans
                    db = db or ReadModelDB(url)
                    facts = warning_spans.facts_of(_Reads(db), prefix)  # read beside the replay's writes
                    spans = warning_spans.spans_of(facts, *inputs)
                    del facts, inputs
                    drawn = (spans, [(*k, n) for k, n in warning_spans.deltas(spans).items() if n])
                except Exception as exc:  # the replay then draws them itself
                    print(f"meetings fold: the warning spans not drawn: {exc!r}", file=sys.stderr)
                    drawn = None
                _send(out, pickle.dumps(drawn, 5))
                del drawn
            elif word == b"hash":
                fold.forget()  # the fold is over: only the tables are read from now on
                try:
                    from shared.readmodel import ReadModelDB
                    from services.reporting import checksum
                    url, prefix = json.loads(rest)
                    db = db or ReadModelDB(url)
                    digest = checksum.hashed(db, prefix, hashlib.sha256(), checksum.facts_part(prefix))
                except Exception as exc:  # the replay then hashes every table itself
                    print(f"meetings fold: the checksum's fact tables not hashed: {exc!r}", file=sys.stderr)
                    digest = None
            elif word == b"derived":
                try:
                    hexdigest = None if digest is None else checksum.hashed(
                        db, prefix, digest, checksum.derived_part(prefix)).hexdigest()
                except Exception as exc:
                    print(f"meetings fold: the checksum's derived tables not hashed: {exc!r}", file=sys.stderr)
                    hexdigest = None
                _send(out, pickle.dumps(hexdigest, 5))
    finally:
        if db is not None:
            db.close()


class _Reads:
    """What a read of ``warning_spans`` asks of a transaction (``execute(…).fetchall()``), as plain
    reads: a transaction here would wait for the replay's (one writer at a time)."""

    def __init__(self, db):
        self.db = db

    def execute(self, sql: str, params=()):
        return _Rows(self.db.query(sql, params))


class _Rows:
    def __init__(self, rows: list):
        self.rows = rows

    def fetchall(self) -> list:
        return self.rows


def _exactly(stream, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = stream.read(n - got)
        if not part:
            raise EOFError
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _send(out, data: bytes) -> None:
    """Write a message whole. ``out`` may be a raw stream (standard output where
    ``PYTHONUNBUFFERED`` is set, as in many containers), whose ``write`` writes part of the bytes
    when a signal interrupts a write to a full pipe (a profiler attaching does): the rest is written
    then, or the replay would read the next message in its place."""
    for part in (_LENGTH.pack(len(data)), data):
        view = memoryview(part)
        while view:
            view = view[out.write(view):]
    out.flush()


def _write(ready: queue.Queue, out) -> None:
    try:
        while (data := ready.get()) is not None:
            _send(out, data)
    except OSError:  # the replay stopped reading (it ended or failed): nothing left to do
        os._exit(1)


if __name__ == "__main__":
    _out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write among the pickles
    try:
        run(sys.argv[1], sys.argv[2], _out, sys.stdin.buffer, ABSENCES_HERE in sys.argv[3:],
            next((int(a[len(HELD_HERE_ARG):]) for a in sys.argv[3:] if a.startswith(HELD_HERE_ARG)), 0))
    except BrokenPipeError:  # the replay stopped reading: it ended or failed
        sys.exit(1)
