"""The figures of the yearly report to the Standing Committee (D8), in one verifiable bundle.

Composed from the existing report queries (term table, movement, evaluation, warnings, meeting
quality, causes), all on one view — one business date and one recording time — so the document
made from them can be regenerated and compared figure by figure (``dangvien audit reproduce``).

Shape: ``tables`` maps a table id to ``{title_vi, columns: [{key, label_vi, kind}], rows: [{id,
label_vi, values: {column: value}}]}``; kinds are ``int``, ``pct`` (a rate, None when there is
no base), ``change`` (a signed percentage, None when the previous value is 0) and ``met`` (True / False / None when no target was set). ``digest`` is
the sha-256 of the tables' canonical JSON: equal digests, equal figures.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter

from services.reporting import rules as R
from shared.rules import TERMS, term_of

from services.reporting import causes, early_warnings, evaluation, meeting_quality, membership, term_table
from services.reporting.case_forms import form_as_known
from services.reporting.periods import Period, change_pct, mean, parse_period, percent, previous
from services.reporting.view import View

VERSION = 1
FORMS_VI = {"reprimand": "Khiển trách", "warning": "Cảnh cáo", "dismissal": "Cách chức",
            "expulsion": "Khai trừ", "dissolution": "Giải tán"}
FORMS_OF = {"org_unit": ("reprimand", "warning", "dissolution"),
            "member": ("reprimand", "warning", "dismissal", "expulsion")}
WARNING_LEVELS_VI = {"warning": "Cảnh báo (1–2 lần/tháng)", "removal_ground": "Đến mức xóa tên (≥ 3)",
                     "overdue": "Quá hạn", "screening": "Đưa vào diện sàng lọc"}


def col(key: str, label_vi: str, kind: str = "int") -> dict:
    return {"key": key, "label_vi": label_vi, "kind": kind}


def table(title_vi: str, columns: list[dict], rows: list[dict]) -> dict:
    return {"title_vi": title_vi, "columns": columns, "rows": rows}


def row(id_: str, label_vi: str, **values) -> dict:
    return {"id": id_, "label_vi": label_vi, "values": values}


def term_for(year: int) -> Period:
    """The term the year's first day belongs to (2025 → 2020-2025, the term of Đề án 02/03), else
    the one its last day belongs to (2010 → 2010-2015)."""
    name = term_of(dt.date(year, 1, 1)) or term_of(dt.date(year, 12, 31))
    if name is None:
        raise R.NO_TERM_FOR_YEAR(year=year, terms=", ".join(TERMS))
    return parse_period(name, "term")


def report_root(v: View, org: str | None) -> str | None:
    """The unit reported on: the one asked for, else the province (the single root), else all."""
    if org:
        v.unit(org)  # the named 'not found'
        return org
    roots = v.children(None)
    return roots[0]["org_unit_id"] if len(roots) == 1 else None


# -- the tables -----------------------------------------------------------------------------------

def footnote(v: View, org: str | None, y: Period, t: Period) -> dict:
    """Footnote 1 of the directive for the year and for the term, each against the one before."""
    py, pt = previous(y), previous(t)
    by_year = {r["indicator"]: r for r in term_table.term_table(v, org, y, py)["rows"]}
    by_term = {r["indicator"]: r for r in term_table.term_table(v, org, t, pt)["rows"]}
    rows = [row(ind, term_table.LABELS_VI[ind], year=by_year[ind]["value"], previous_year=by_year[ind]["previous"],
                year_change=by_year[ind]["change_pct"], term=by_term[ind]["value"],
                previous_term=by_term[ind]["previous"], term_change=by_term[ind]["change_pct"])
            for ind in term_table.INDICATORS]
    cols = [col("year", f"Năm {y.name}"), col("previous_year", f"Năm {py.name}"),
            col("year_change", "Tăng/giảm (%)", "change"),
            col("term", f"Nhiệm kỳ {t.name}"),
            col("previous_term", f"Nhiệm kỳ {pt.name}"),
            col("term_change", "Tăng/giảm (%)", "change")]
    return table("Bảng 1. Chỉ tiêu theo chú thích 1 của Chỉ thị: năm và nhiệm kỳ", cols, rows)


def movement_table(v: View, org: str | None, y: Period) -> dict:
    report = membership.movement(v, org, y)
    keys = ("opening", *membership.FLOWS_IN, *membership.FLOWS_OUT, "closing")
    cols = [col(k, membership.LABELS_VI[k]) for k in keys]
    rows = [row(r["org_unit_id"], r["name"], **{k: r[k] for k in keys}) for r in report["rows"]]
    return table(f"Bảng 2. Biến động đảng viên năm {y.name} (Biểu 1)", cols, rows)


def discipline_forms(v: View, org: str | None, y: Period) -> dict:
    """Decisions dated in the year and the year before, not annulled as known, by subject and form,
    each in the unit it stood in on its decision date (as the term table counts them)."""
    def counts(p: Period) -> Counter:
        p = p.capped(v.as_of)
        if p.end < p.start:
            return Counter()
        cond, params = v.subtree("org_unit_id", org, on="decided_on")
        stands, stand_params = v.decision_stands()
        return Counter((kind, form_as_known(v.known, form, forms)) for kind, form, forms in v.q(
            f"SELECT subject_kind, form, forms FROM {v.t('cases')} WHERE decided_on BETWEEN ? AND ? "
            f"AND recorded_at <= ? AND {stands} AND {cond}",
            [p.start.isoformat(), p.end.isoformat(), v.known, *stand_params, *params]))
    py = previous(y)
    now, before = counts(y), counts(py)
    rows = []
    for kind, forms in FORMS_OF.items():
        who = "Tổ chức đảng" if kind == "org_unit" else "Đảng viên"
        for form in forms:
            a, b = now[(kind, form)], before[(kind, form)]
            rows.append(row(f"{kind}.{form}", f"{who} — {FORMS_VI[form]}", year=a, previous_year=b,
                            change=change_pct(a, b)))
    cols = [col("year", f"Năm {y.name}"), col("previous_year", f"Năm {py.name}"),
            col("change", "Tăng/giảm (%)", "change")]
    return table(f"Bảng 3. Kỷ luật tổ chức đảng và đảng viên theo hình thức, năm {y.name}", cols, rows)


def targets_table(v: View, org: str | None, y: Period, t: Period) -> dict:
    """Đề án 02-ĐA/TU and 03-ĐA/TU: the term's targets and the year's, actual vs target per unit —
    every unit that stood in the term or in the year (one dissolved earlier in the term, or created
    after it ended, is judged on the period it has no row of too: its own figures, its own target)."""
    def judged(period: Period) -> dict:
        return {(r["org_unit_id"], r["indicator"]): r
                for r in evaluation.evaluation(v, org, period, previous(period))["rows"]}

    def on(period: Period, r: dict) -> dict:
        actual = term_table.count(v, r["indicator"], r["org_unit_id"], period)
        target = evaluation.target_of(v, r["org_unit_id"], period, r["indicator"])
        return {"target": target, "actual": actual, "met": evaluation.met(actual, target)}

    by_term, by_year = judged(t), judged(y)
    rows = []
    for key in [*by_term, *(k for k in by_year if k not in by_term)]:
        r = by_term.get(key) or by_year[key]
        tr, yr = by_term.get(key) or on(t, r), by_year.get(key) or on(y, r)
        rows.append(row(f"{r['org_unit_id']}.{r['indicator']}", f"{r['name']} — {r['label_vi']}",
                        term_target=tr["target"], term_actual=tr["actual"], term_met=tr["met"],
                        year_target=yr["target"], year_actual=yr["actual"], year_met=yr["met"]))
    cols = [col("term_target", f"Chỉ tiêu nhiệm kỳ {t.name}"), col("term_actual", "Thực hiện nhiệm kỳ"),
            col("term_met", "Đạt / không đạt", "met"), col("year_target", f"Chỉ tiêu năm {y.name}"),
            col("year_actual", f"Thực hiện năm {y.name}"), col("year_met", "Đạt / không đạt", "met")]
    return table("Bảng 4. Thực hiện Đề án 02-ĐA/TU và Đề án 03-ĐA/TU so với chỉ tiêu", cols, rows)


def warnings_table(v: View, org: str | None, year: int, found: list[dict]) -> dict:
    """Members on each list and level — cells on the list of cells below the minimum, whose rows
    name a unit and no member (each cell counts, not one blank member for them all)."""
    members: dict[tuple[str, str], set] = {}
    for r in found:
        members.setdefault((r["list"], r["level"]), set()).add(r["member_id"] or ("cell", r["org_unit_id"]))
    levels = ("warning", "removal_ground", "overdue", "screening")
    rows = [row(name, label, **{lv: len(members.get((name, lv), ())) for lv in levels})
            for name, label in early_warnings.LISTS_VI.items()]
    cols = [col(lv, WARNING_LEVELS_VI[lv]) for lv in levels]
    return table(f"Bảng 5. Cảnh báo sớm năm {year} (số đảng viên; dòng chi bộ: số chi bộ)", cols, rows)


def meetings_table(v: View, org: str | None, y: Period, cells: list[dict]) -> dict:
    expected = sum(r["regular_expected"] for r in cells)
    held = sum(r["regular_held"] for r in cells)
    thematic_expected = sum(r["thematic_expected"] for r in cells)
    thematic = sum(r["thematic_held"] for r in cells)
    standard = sum(r["meetings_meeting_standard"] for r in cells)
    full = sum(1 for r in cells if r["regular_held"] >= r["regular_expected"] and r["thematic_held"]
               >= r["thematic_expected"])
    rates = [r["attendance_rate"] for r in cells if r["attendance_rate"] is not None]
    overseen = sum(r["committee_member_attended"] for r in cells)
    noted = sum(r["committee_member_recorded"] for r in cells)

    pct = percent

    rows = [row("cells", "Số chi bộ", value=len(cells)),
            row("regular_held", "Sinh hoạt thường kỳ đã tổ chức / phải tổ chức", value=held, of=expected,
                pct=pct(held, expected)),
            row("thematic_held", "Sinh hoạt chuyên đề đã tổ chức / phải tổ chức", value=thematic, of=thematic_expected,
                pct=pct(thematic, thematic_expected)),
            row("cells_full", "Chi bộ sinh hoạt đủ số buổi", value=full, of=len(cells), pct=pct(full, len(cells))),
            row("meeting_standard", "Buổi sinh hoạt thường kỳ đạt chuẩn (HD 12-HD/BTCTW)", value=standard, of=held,
                pct=pct(standard, held)),
            row("attendance", "Tỷ lệ dự sinh hoạt bình quân của chi bộ (%)",
                pct=mean(rates)),
            row("committee_member", "Buổi có cấp ủy viên phụ trách dự", value=overseen, of=noted, pct=pct(overseen, noted))]
    for r in rows:
        r["values"] = {k: r["values"].get(k) for k in ("value", "of", "pct")}
    cols = [col("value", "Số lượng"), col("of", "Trên tổng số"), col("pct", "Tỷ lệ (%)", "pct")]
    return table(f"Bảng 6. Chất lượng sinh hoạt chi bộ năm {y.name}", cols, rows)


def causes_table(v: View, org: str | None, y: Period) -> dict:
    report = causes.causes(v, org, y)
    labels = {"removed": "Xóa tên", "resigned": "Xin ra khỏi Đảng", "expelled": "Khai trừ", "disciplined": "Bị kỷ luật"}
    rows = [row(f"{r['group']}.{r['key']}", r["label_vi"], **{o: r[o] for o in causes.OUTCOMES})
            for r in report["rows"]]
    return table(f"Bảng 7. Nguyên nhân: đối tượng đảng viên và tuổi đảng, năm {y.name}",
                 [col(o, labels[o]) for o in causes.OUTCOMES], rows)


def appendix_table(v: View, org: str | None, y: Period, found: list[dict]) -> dict:
    """One row per unit directly under the report's unit (D7: the province knows each direct unit),
    as the structure stood in the year (DOMAIN.md §2): a unit created after it is not a row, one
    dissolved or merged after it still is — not today's direct units. Each member-level figure
    counts in the direct unit its cell stood under on the fact's date (a cell moved to another
    direct unit later, or during the year, counts there only from its move): an unexcused absence
    on its day, the other warnings on the list's day, a meeting on the day it was held."""
    p = y.capped(v.as_of)
    units = v.children(org, p.start, max(p.start, p.end))
    ids = [u["org_unit_id"] for u in units]
    moved = membership.movement_of(v, ids, y)
    warned = _warned_by_direct_unit(v, ids, y, found)
    rates: dict[str, list[float]] = {}
    standard: Counter = Counter()
    held: Counter = Counter()
    for uid in ids:
        # the direct unit's own meetings report: its cells' meetings held while they stood under it
        for c in meeting_quality.meeting_quality(v, uid, y)["rows"]:
            if c["attendance_rate"] is not None:
                # the rate is per cell; weigh cells equally, as the meetings table does
                rates.setdefault(uid, []).append(c["attendance_rate"])
            standard[uid] += c["meetings_meeting_standard"]
            held[uid] += c["regular_held"]
    rows = []
    for u in units:
        uid = u["org_unit_id"]
        m = moved.get(uid, {})
        rows.append(row(uid, u["name"], closing=m.get("closing", 0), admitted=m.get("admitted", 0),
                        removed=m.get("removed", 0), resigned=m.get("resigned", 0), expelled=m.get("expelled", 0),
                        orgs_disciplined=term_table.count(v, "orgs_disciplined", uid, y),
                        members_disciplined=term_table.count(v, "members_disciplined", uid, y),
                        warned=len(warned.get(uid, ())),
                        attendance=mean(rates.get(uid, [])), meeting_standard=percent(standard[uid], held[uid])))
    cols = [col("closing", "Đảng viên cuối kỳ"), col("admitted", "Kết nạp"), col("removed", "Xóa tên"),
            col("resigned", "Xin ra"), col("expelled", "Khai trừ"), col("orgs_disciplined", "Tổ chức bị kỷ luật"),
            col("members_disciplined", "Đảng viên bị kỷ luật"), col("warned", "Đảng viên có cảnh báo"),
            col("attendance", "Tỷ lệ dự họp (%)", "pct"), col("meeting_standard", "Buổi họp đạt chuẩn (%)", "pct")]
    return table(f"Phụ lục. Số liệu năm {y.name} của từng đơn vị trực thuộc", cols, rows)


def _warned_by_direct_unit(v: View, ids: list[str], y: Period, found: list[dict]) -> dict[str, set]:
    """Direct unit → the members with a warning of the year in its subtree: an unexcused absence
    where its cell stood on the absence's day, any other warning where the member's unit stood on
    the day the lists are drawn (the year's end, or the as-of date); on the current structure,
    today's tree."""
    if not ids:
        return {}
    p = y.capped(v.as_of)
    day = max(p.start, p.end).isoformat()
    marks = ",".join("?" * len(ids))
    out: dict[str, set] = {}
    if not v.dated:
        direct_of = dict((d, a) for a, d in v.q(
            f"SELECT ancestor, descendant FROM {v.t('closure')} WHERE ancestor IN ({marks})", ids))
        for r in found:
            if r["member_id"] and r["org_unit_id"] in direct_of:
                out.setdefault(direct_of[r["org_unit_id"]], set()).add(r["member_id"])
        return out
    direct_on_day = dict((d, a) for a, d in v.q(
        f"SELECT ancestor, descendant FROM {v.t('dclosure')} WHERE ancestor IN ({marks}) "
        "AND from_on <= ? AND (to_on IS NULL OR to_on > ?)", [*ids, day, day]))
    absent = {(r["member_id"], r["org_unit_id"]) for r in found if r["list"] == "unexcused_absences"}
    for r in found:
        if r["list"] != "unexcused_absences" and r["member_id"] and r["org_unit_id"] in direct_on_day:
            out.setdefault(direct_on_day[r["org_unit_id"]], set()).add(r["member_id"])
    if absent:
        on_day, _ = v.on_date("dc", "a.occurred_on")
        for anc, member, unit in v.q(
                f"SELECT DISTINCT dc.ancestor, a.member_id, a.org_unit_id FROM {v.t('absences')} a "
                f"JOIN {v.t('dclosure')} dc ON dc.descendant = a.org_unit_id AND {on_day} "
                f"WHERE dc.ancestor IN ({marks}) AND a.excused = 0 AND a.occurred_on BETWEEN ? AND ? "
                "AND a.recorded_at <= ?", [*ids, p.start.isoformat(), p.end.isoformat(), v.known]):
            if (member, unit) in absent:
                out.setdefault(anc, set()).add(member)
    return out


# -- the bundle -----------------------------------------------------------------------------------

def digest(tables: dict) -> str:
    body = json.dumps(tables, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def figures(v: View, org: str | None, year: int, term_name: str | None = None) -> dict:
    """Every figure of the yearly report for ``org``'s subtree, as of ``v.as_of``, known at ``v.known``."""
    y = parse_period(str(year), "year")
    t = parse_period(term_name, "term") if term_name else term_for(year)
    root = report_root(v, org)
    found = early_warnings.warnings(v, root, year)["rows"]
    cells = meeting_quality.meeting_quality(v, root, y)["rows"]
    tables = {
        "footnote": footnote(v, root, y, t),
        "movement": movement_table(v, root, y),
        "discipline": discipline_forms(v, root, y),
        "targets": targets_table(v, root, y, t),
        "warnings": warnings_table(v, root, year, found),
        "meetings": meetings_table(v, root, y, cells),
        "causes": causes_table(v, root, y),
        "appendix": appendix_table(v, root, y, found),
    }
    named_on = v.naming_day(y.start, y.end)  # the units as named in the year reported on
    unit = v.unit(root, named_on)
    roots = v.children(None)
    return {"version": VERSION, "report": "yearly",
            "province": v.unit(roots[0]["org_unit_id"], named_on)["name"] if len(roots) == 1 else unit["name"],
            "params": {"org_unit_id": root, "year": year, "term": t.name, "as_of": v.as_of.isoformat(),
                       "known_at": v.known},
            "unit": {"org_unit_id": unit["org_unit_id"], "name": unit["name"], "kind": unit["kind"]},
            "periods": {"year": y.label_vi(), "previous_year": previous(y).label_vi(), "term": t.label_vi(),
                        "previous_term": previous(t).label_vi()},
            "tables": tables, "digest": digest(tables)}
