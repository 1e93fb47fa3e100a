"""The reporting read model: bitemporal FACT tables, not current-state counters.

Every row keeps both clocks — ``occurred_on`` (business date) and ``recorded_at`` (when the
system learnt it) — so each report filters by SQL for "as of a business date" and "as known at a
recording time" (DESIGN.md §2, two clocks). Tables carry a generation prefix (``g1_``, ``g2_`` …):
a replay builds the next generation beside the live one and then switches over (``generations``).

Sizes (DOMAIN.md §10): ~6M absences per province term, so absences and meetings are indexed on
(org_unit_id, occurred_on) and reports aggregate in SQL. Subtree filtering joins one of two
closure tables: ``dclosure`` (ancestor, descendant, from_on, to_on) — the structure as it stood,
so a fact counts in the units its unit belonged to on the fact's date (the default) — or
``closure`` (ancestor, descendant) of the current structure, in which a merged or moved unit sits
under today's successor so its whole history rolls up there (``structure=current``).
``unit_spans`` keeps each unit's parent per interval (drill-down lists as they stood).

Partitions (``shared.partitioning``): ``routes`` fixes each unit's direct unit when it is created,
and ``stream_heads`` keeps the last applied version of every source stream, so that processes
applying different direct units into these same tables keep each stream in order and apply each
event once (``shared.projection``).
"""
from __future__ import annotations

TABLES = ("units", "closure", "unit_spans", "dclosure", "members", "stints", "member_facts", "cases", "meetings", "absences",
          "dues", "targets", "member_refs", "routes", "stream_heads", "tree_facts")
#: the tables of the organisation tree (a report as known at a past time draws them as known then)
TREE_TABLES = ("units", "closure", "unit_spans", "dclosure")

#: the column order of each table's canonical dump (checksum), i.e. its primary key first
ORDER_BY = {
    "units": "org_unit_id", "closure": "ancestor, descendant", "members": "member_id",
    "unit_spans": "org_unit_id, from_on", "dclosure": "ancestor, descendant, from_on",
    "stints": "member_id, seq", "member_facts": "event_id", "cases": "case_id",
    "meetings": "meeting_id", "absences": "meeting_id, member_id", "dues": "member_id, month, recorded_at",
    "targets": "org_unit_id, period, indicator, recorded_at", "member_refs": "member_id, event_id",
    "routes": "org_unit_id", "stream_heads": "source, stream", "tree_facts": "seq",
}

DDL = """
CREATE TABLE IF NOT EXISTS {p}units (
    org_unit_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, parent_id TEXT,
    created_on TEXT, recorded_at TEXT, merged_into TEXT, merged_on TEXT, dissolved_on TEXT);
CREATE TABLE IF NOT EXISTS {p}closure (
    ancestor TEXT NOT NULL, descendant TEXT NOT NULL, depth INTEGER NOT NULL,
    PRIMARY KEY (ancestor, descendant));
CREATE INDEX IF NOT EXISTS {p}closure_desc ON {p}closure (descendant);
CREATE TABLE IF NOT EXISTS {p}unit_spans (
    org_unit_id TEXT NOT NULL, parent_id TEXT, from_on TEXT NOT NULL, to_on TEXT,
    PRIMARY KEY (org_unit_id, from_on));
CREATE INDEX IF NOT EXISTS {p}unit_spans_parent ON {p}unit_spans (parent_id);
CREATE TABLE IF NOT EXISTS {p}dclosure (
    ancestor TEXT NOT NULL, descendant TEXT NOT NULL, from_on TEXT NOT NULL, to_on TEXT,
    PRIMARY KEY (ancestor, descendant, from_on));
CREATE INDEX IF NOT EXISTS {p}dclosure_desc ON {p}dclosure (descendant, from_on);
CREATE TABLE IF NOT EXISTS {p}members (
    member_id TEXT PRIMARY KEY, sex TEXT, birth_date TEXT, demobilised TEXT, admitted_on TEXT,
    official_on TEXT, birth_year INTEGER);
CREATE TABLE IF NOT EXISTS {p}stints (
    member_id TEXT NOT NULL, seq INTEGER NOT NULL, org_unit_id TEXT NOT NULL,
    from_on TEXT NOT NULL, from_kind TEXT NOT NULL, from_unit TEXT, from_rec TEXT NOT NULL,
    to_on TEXT, to_kind TEXT, to_unit TEXT, to_rec TEXT,
    PRIMARY KEY (member_id, seq));
CREATE INDEX IF NOT EXISTS {p}stints_unit ON {p}stints (org_unit_id, from_on);
CREATE TABLE IF NOT EXISTS {p}member_facts (
    event_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, type TEXT NOT NULL, occurred_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL, org_unit_id TEXT, detail TEXT, actor TEXT);
CREATE INDEX IF NOT EXISTS {p}member_facts_type ON {p}member_facts (type, occurred_on);
CREATE INDEX IF NOT EXISTS {p}member_facts_member ON {p}member_facts (member_id, occurred_on);
CREATE TABLE IF NOT EXISTS {p}cases (
    case_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL,
    org_unit_id TEXT, form TEXT NOT NULL, decided_on TEXT NOT NULL, violation_on TEXT, -- the latest violation
    recorded_at TEXT NOT NULL, annulled_on TEXT, annulled_rec TEXT,
    forms TEXT); -- every form given, with when it was recorded (``case_forms``)
CREATE INDEX IF NOT EXISTS {p}cases_date ON {p}cases (decided_on);
CREATE INDEX IF NOT EXISTS {p}cases_subject ON {p}cases (subject_id, decided_on);
CREATE TABLE IF NOT EXISTS {p}meetings (
    meeting_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, org_unit_id TEXT NOT NULL, kind TEXT NOT NULL,
    held_on TEXT NOT NULL, recorded_at TEXT NOT NULL, duration INTEGER, expected INTEGER,
    present INTEGER, excused INTEGER, unexcused INTEGER, combined INTEGER, committee_attended INTEGER,
    duration_ok INTEGER, meets_standard INTEGER, over_consecutive INTEGER, absent TEXT);
CREATE INDEX IF NOT EXISTS {p}meetings_unit ON {p}meetings (org_unit_id, held_on);
CREATE TABLE IF NOT EXISTS {p}absences (
    meeting_id TEXT NOT NULL, member_id TEXT NOT NULL, org_unit_id TEXT NOT NULL,
    occurred_on TEXT NOT NULL, recorded_at TEXT NOT NULL, excused INTEGER NOT NULL, event_id TEXT NOT NULL,
    PRIMARY KEY (meeting_id, member_id));
CREATE INDEX IF NOT EXISTS {p}absences_unit ON {p}absences (org_unit_id, occurred_on);
CREATE INDEX IF NOT EXISTS {p}absences_member ON {p}absences (member_id, occurred_on);
CREATE TABLE IF NOT EXISTS {p}dues (
    member_id TEXT NOT NULL, month TEXT NOT NULL, recorded_at TEXT NOT NULL, status TEXT NOT NULL,
    occurred_on TEXT NOT NULL, event_id TEXT NOT NULL,
    PRIMARY KEY (member_id, month, recorded_at));
CREATE TABLE IF NOT EXISTS {p}targets (
    org_unit_id TEXT NOT NULL, period TEXT NOT NULL, indicator TEXT NOT NULL, recorded_at TEXT NOT NULL,
    value INTEGER NOT NULL, event_id TEXT NOT NULL,
    PRIMARY KEY (org_unit_id, period, indicator, recorded_at));
CREATE TABLE IF NOT EXISTS {p}member_refs (
    member_id TEXT NOT NULL, event_id TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (member_id, event_id));
CREATE TABLE IF NOT EXISTS {p}routes (
    org_unit_id TEXT PRIMARY KEY, parent_id TEXT, direct_id TEXT);
CREATE TABLE IF NOT EXISTS {p}stream_heads (
    source TEXT NOT NULL, stream TEXT NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (source, stream));
CREATE TABLE IF NOT EXISTS {p}tree_facts (
    seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, occurred_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS {p}tree_facts_type ON {p}tree_facts (type, occurred_on);
CREATE TABLE IF NOT EXISTS rp_generation (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL)
"""


#: the start of a unit's first interval: facts dated before a unit's creation record still count
#: where it was first placed (histories are often imported after the units are created)
EVER = "0001-01-01"


def ddl(prefix: str) -> str:
    return DDL.replace("{p}", prefix)


#: columns added after a read model may already have been built: (table, column, SQL type)
ADDED_COLUMNS = (("members", "birth_year", "INTEGER"), ("meetings", "combined", "INTEGER"),
                 ("meetings", "committee_attended", "INTEGER"),
                 ("meetings", "duration_ok", "INTEGER"), ("meetings", "meets_standard", "INTEGER"),
                 ("meetings", "over_consecutive", "INTEGER"), ("meetings", "absent", "TEXT"),
                 ("cases", "forms", "TEXT"))


def migrate(db, prefix: str) -> None:
    """Add columns a read model built by an older version lacks (rows before stay NULL until the
    next ``dangvien replay``). Each probe runs on its own, so a failing one aborts nothing.
    A generation built before the dated structure gets its tables, filled from the current
    structure (undated: exact history needs ``dangvien replay``)."""
    try:
        db.query(f"SELECT 1 FROM {prefix}units WHERE 1 = 0")
    except Exception:
        return  # nothing built yet
    db.executescript("".join(part + ";" for part in ddl(prefix).split(";")
                             if "unit_spans" in part or "dclosure" in part or "tree_facts" in part))
    empty = not db.query(f"SELECT 1 FROM {prefix}dclosure LIMIT 1")
    if empty and db.query(f"SELECT 1 FROM {prefix}closure LIMIT 1"):
        with db.transaction() as tx:
            tx.execute(f"INSERT INTO {prefix}dclosure (ancestor, descendant, from_on, to_on) "
                       f"SELECT ancestor, descendant, '{EVER}', NULL FROM {prefix}closure")
            tx.execute(f"INSERT INTO {prefix}unit_spans (org_unit_id, parent_id, from_on, to_on) "
                       f"SELECT org_unit_id, parent_id, '{EVER}', NULL FROM {prefix}units")
    for table, column, sql_type in ADDED_COLUMNS:
        try:
            db.query(f"SELECT {column} FROM {prefix}{table} WHERE 1 = 0")
        except Exception:
            with db.transaction() as tx:
                tx.execute(f"ALTER TABLE {prefix}{table} ADD COLUMN {column} {sql_type}")
