"""Read model of the service's own events (meetings held, attendance, dues, warnings) and the
queries answered from it: meeting quality, a cell's year, absences and warnings per member."""
from __future__ import annotations

import datetime as dt

from shared.events import Envelope
from shared.projection import Projection
from shared.readmodel import ReadModelDB, Tx

from services.meetings import quality as q


class MeetingsViewProjection(Projection):
    name = "meetings_view"
    sources = ("meetings",)
    types = frozenset({"meeting.scheduled", "meeting.held", "dues.recorded", "attendance.warning_raised"})

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS mv_meetings (meeting_id TEXT PRIMARY KEY, org_unit_id TEXT NOT NULL,
            kind TEXT NOT NULL, planned_on TEXT, held_on TEXT, duration_minutes INTEGER, combined INTEGER,
            committee_member_attended INTEGER, content_summary TEXT);
        CREATE INDEX IF NOT EXISTS mv_meetings_unit ON mv_meetings (org_unit_id, held_on);
        CREATE TABLE IF NOT EXISTS mv_attendance (meeting_id TEXT NOT NULL, member_id TEXT NOT NULL,
            org_unit_id TEXT NOT NULL, held_on TEXT NOT NULL, status TEXT NOT NULL,
            PRIMARY KEY (meeting_id, member_id));
        CREATE INDEX IF NOT EXISTS mv_attendance_member ON mv_attendance (member_id, held_on);
        CREATE TABLE IF NOT EXISTS mv_dues (member_id TEXT NOT NULL, month TEXT NOT NULL, org_unit_id TEXT,
            status TEXT NOT NULL, reduction_pct INTEGER, exemption_ground TEXT, PRIMARY KEY (member_id, month));
        CREATE TABLE IF NOT EXISTS mv_warnings (member_id TEXT NOT NULL, year INTEGER NOT NULL, kind TEXT NOT NULL,
            count INTEGER NOT NULL, level TEXT NOT NULL, org_unit_id TEXT, raised_on TEXT NOT NULL,
            PRIMARY KEY (member_id, year, kind, count))
        """

    def apply(self, tx: Tx, e: Envelope) -> None:
        d = e.data
        if e.type == "meeting.scheduled":
            tx.execute("INSERT INTO mv_meetings (meeting_id, org_unit_id, kind, planned_on) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (meeting_id) DO UPDATE SET planned_on = excluded.planned_on",
                       (d["meeting_id"], d["org_unit_id"], d["kind"], d["planned_on"]))
        elif e.type == "meeting.held":
            held_on = e.occurred_on.isoformat()
            attended = d.get("committee_member_attended")
            tx.execute("INSERT INTO mv_meetings (meeting_id, org_unit_id, kind, held_on, duration_minutes, combined, "
                       "committee_member_attended, content_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (meeting_id) DO UPDATE SET held_on = excluded.held_on, "
                       "duration_minutes = excluded.duration_minutes, combined = excluded.combined, "
                       "committee_member_attended = excluded.committee_member_attended, "
                       "content_summary = excluded.content_summary",
                       (d["meeting_id"], d["org_unit_id"], d["kind"], held_on, d["duration_minutes"],
                        int(d.get("combined", False)), None if attended is None else int(attended),
                        d.get("content_summary")))
            tx.executemany("INSERT INTO mv_attendance (meeting_id, member_id, org_unit_id, held_on, status) "
                           "VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id, member_id) DO NOTHING",
                           [(d["meeting_id"], a["member_id"], d["org_unit_id"], held_on, a["status"])
                            for a in d["attendance"]])
        elif e.type == "dues.recorded":
            tx.execute("INSERT INTO mv_dues (member_id, month, org_unit_id, status, reduction_pct, exemption_ground) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, month) DO UPDATE SET "
                       "org_unit_id = excluded.org_unit_id, status = excluded.status, "
                       "reduction_pct = excluded.reduction_pct, exemption_ground = excluded.exemption_ground",
                       (d["member_id"], d["month"], e.org_unit_id, d["status"], d.get("reduction_pct"),
                        d.get("exemption_ground")))
        elif e.type == "attendance.warning_raised":
            tx.execute("INSERT INTO mv_warnings (member_id, year, kind, count, level, org_unit_id, raised_on) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, year, kind, count) DO NOTHING",
                       (d["member_id"], d["year"], d["kind"], d["count"], d["level"], e.org_unit_id,
                        e.occurred_on.isoformat()))


def _held(db: ReadModelDB, where: str, params: tuple) -> list[q.HeldMeeting]:
    rows = db.query("SELECT meeting_id, org_unit_id, kind, held_on, duration_minutes, combined, "
                    f"committee_member_attended FROM mv_meetings WHERE held_on IS NOT NULL AND {where}", params)
    if not rows:
        return []
    ids = [r[0] for r in rows]
    att: dict[str, list] = {i: [] for i in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for m, member, status in db.query(f"SELECT meeting_id, member_id, status FROM mv_attendance WHERE meeting_id "
                                          f"IN ({','.join('?' * len(chunk))}) ORDER BY member_id", chunk):
            att[m].append((member, status))
    return [q.HeldMeeting(r[0], r[1], r[2], dt.date.fromisoformat(r[3]), r[4], bool(r[5]),
                          None if r[6] is None else bool(r[6]), tuple(att[r[0]])) for r in rows]


def cell_meetings(db: ReadModelDB, org_unit_id: str, year: int) -> list[q.HeldMeeting]:
    return _held(db, "org_unit_id = ? AND held_on >= ? AND held_on <= ?",
                 (org_unit_id, f"{year}-01-01", f"{year}-12-31"))


def meeting(db: ReadModelDB, meeting_id: str) -> dict | None:
    rows = db.query("SELECT meeting_id, org_unit_id, kind, planned_on, held_on, duration_minutes, combined, "
                    "committee_member_attended, content_summary FROM mv_meetings WHERE meeting_id = ?", (meeting_id,))
    if not rows:
        return None
    r = rows[0]
    out = {"meeting_id": r[0], "org_unit_id": r[1], "kind": r[2], "planned_on": r[3], "held_on": r[4],
           "duration_minutes": r[5], "combined": bool(r[6]) if r[6] is not None else None,
           "committee_member_attended": None if r[7] is None else bool(r[7]), "content_summary": r[8],
           "quality": None}
    if r[4]:
        held_on = dt.date.fromisoformat(r[4])
        # judged among the cell's meetings of its year, up to itself (consecutive absences)
        year = [m for m in cell_meetings(db, r[1], held_on.year) if (m.held_on, m.meeting_id) <= (held_on, r[0])]
        out["quality"] = q.assess_year(year)[-1].to_dict() if year else None
        out["attendance"] = [{"member_id": m, "status": s} for m, s in
                             db.query("SELECT member_id, status FROM mv_attendance WHERE meeting_id = ? "
                                      "ORDER BY member_id", (meeting_id,))]
    return out


def absences(db: ReadModelDB, year: int, member_id: str | None = None, org_unit_id: str | None = None) -> list[dict]:
    """Per member: unexcused and excused absences and unpaid months in the year, and warnings."""
    start, end = f"{year}-01-01", f"{year}-12-31"
    cond, params = "held_on >= ? AND held_on <= ?", [start, end]
    dcond, dparams = "month >= ? AND month <= ?", [f"{year}-01", f"{year}-12"]
    if member_id:
        cond += " AND member_id = ?"
        params.append(member_id)
        dcond += " AND member_id = ?"
        dparams.append(member_id)
    if org_unit_id:
        cond += " AND org_unit_id = ?"
        params.append(org_unit_id)
        dcond += " AND org_unit_id = ?"
        dparams.append(org_unit_id)
    rows: dict[str, dict] = {}

    def row(m: str) -> dict:
        return rows.setdefault(m, {"member_id": m, "year": year, "meetings": 0, "unexcused": 0, "excused": 0,
                                   "unexcused_months": 0, "unpaid_months": [], "warnings": []})

    for m, status, n in db.query(f"SELECT member_id, status, COUNT(*) FROM mv_attendance WHERE {cond} "
                                 "GROUP BY member_id, status", params):
        r = row(m)
        r["meetings"] += n
        if status != "present":
            r[status] += n
    # ground (a) and its warnings count months with an unexcused absence (several in a month are one)
    for m, n in db.query(f"SELECT member_id, COUNT(DISTINCT substr(held_on, 1, 7)) FROM mv_attendance WHERE {cond} "
                         "AND status = 'unexcused' GROUP BY member_id", params):
        row(m)["unexcused_months"] = n
    for m, month in db.query(f"SELECT member_id, month FROM mv_dues WHERE {dcond} AND status = 'unpaid' "
                             "ORDER BY month", dparams):
        row(m)["unpaid_months"].append(month)
    for r in rows.values():
        r["warnings"] = [{"kind": k, "count": c, "level": lv, "raised_on": on} for k, c, lv, on in db.query(
            "SELECT kind, count, level, raised_on FROM mv_warnings WHERE member_id = ? AND year = ? "
            "ORDER BY raised_on, kind, count", (r["member_id"], year))]
    return sorted(rows.values(), key=lambda r: r["member_id"])


def warnings(db: ReadModelDB, year: int, org_unit_id: str | None = None) -> list[dict]:
    sql = "SELECT member_id, kind, count, level, org_unit_id, raised_on FROM mv_warnings WHERE year = ?"
    params: list = [year]
    if org_unit_id:
        sql += " AND org_unit_id = ?"
        params.append(org_unit_id)
    return [{"member_id": m, "kind": k, "count": c, "level": lv, "org_unit_id": u, "raised_on": on}
            for m, k, c, lv, u, on in db.query(sql + " ORDER BY raised_on, member_id, kind, count", params)]
