"""A sheet's rows as the events they imply, checked against the file itself and the system.

``plan`` reads nothing but what it is given: the grid, the options and a ``System`` (the units
under the target organisation and the members already recorded). It returns import lines in the
import format (DESIGN.md §2) — every line tagged with its provenance (file, file hash, sheet, row)
— and a report in Vietnamese and English: rows accepted, rows refused with the cell and the
reason, duplicates, and the differences a later version of a list makes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Callable, Protocol

from openpyxl.utils import get_column_letter

from services.gateway.sheets import columns, legacy, values
from services.gateway.sheets.columns import plain
from services.gateway.sheets.table import Grid, Uncomputed
from shared import importing

RECORD_FIELDS = ("full_name", "card_number", "background_file_number", "citizen_id", "ethnicity", "religion",
                 "education", "political_theory", "occupation")
TEXT_FIELDS = RECORD_FIELDS + ("cell", "committee", "place", "contact", "ground", "hometown", "note")
MEMBER_HOLDING = ("grassroots_cell", "cell")


class System(Protocol):
    def units(self) -> list[dict]: ...                     # the target and every unit under it
    def member(self, member_id: str) -> dict | None: ...   # a member's record, None when unknown
    def members_of(self, org_unit_id: str) -> list[dict]: ...
    def case(self, case_id: str) -> dict | None: ...           # a discipline case, None when unknown


@dataclass
class Options:
    kind: str
    into: str
    filename: str
    file_hash: str
    mapping: dict[str, str] | None = None
    create_units: bool = False
    on: dt.date | None = None          # the date changes (transfers, record updates) take effect
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Plan:
    lines: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    accepted: int = 0
    unchanged: int = 0
    changes: list[dict] = field(default_factory=list)
    not_in_list: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    refs: dict[int, str] = field(default_factory=dict)    # line number → sheet!row
    fields: dict[str, str] = field(default_factory=dict)  # field → column letter

    def refuse(self, ref: str, code: str, vi: str, en: str, field_name: str | None = None):
        self.refused.append({"cell": ref, "code": code, "message_vi": vi, "message_en": en, "field": field_name})

    def summary(self) -> dict:
        return {"rows": self.rows, "accepted": self.accepted, "unchanged": self.unchanged,
                "refused": self.refused, "changes": self.changes, "not_in_list": self.not_in_list,
                "notes": self.notes, "columns": self.columns, "events": len(self.lines)}


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def sheet_member_id(card_number: str | None, name: str, birth: dt.date | None, unit_id: str) -> str:
    """A member's id from the list: the card number when there is one (unique in the party), else
    name + birth date + unit. Keyed by nothing personal in clear: a digest."""
    basis = f"card|{card_number}" if card_number else f"person|{plain(name)}|{birth}|{unit_id}"
    return "dv-" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:24]


def unit_id_for(into: str, committee: str | None, cell: str | None) -> str:
    basis = f"{into}|{plain(committee or '')}|{plain(cell or '')}"
    return "u-" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:20]


def plan(grid: Grid, opts: Options, system: System,
         progress: Callable[[int, int], None] | None = None) -> Plan:
    """``progress(rows checked, rows)`` hears of the rows' check as the JSONL import's does: at the
    start, every ``PROGRESS_EVERY`` rows or ``PROGRESS_SECONDS``, whichever comes first, and at the end."""
    told = progress or (lambda done, total: None)
    out = Plan(notes=list(grid.notes))
    header_row, cols = columns.find_header(grid.rows, opts.kind, opts.mapping)
    out.columns = {f: get_column_letter(c + 1) for f, c in cols.items()}
    out.fields = dict(out.columns)
    for name, c in cols.items():
        if c in grid.hidden_columns and name != "index":
            letter, label = get_column_letter(c + 1), columns.FIELD_VI.get(name, name)
            out.refuse(f"{grid.sheet}!{letter}", "hidden_column",
                       f"Cột {letter} («{label}») đang bị ẩn: không rõ cột này có phải cột cần đọc hay không; hãy bỏ "
                       "ẩn để kiểm tra, hoặc xóa cột rồi nhập lại",
                       f"Column {letter} ({name}) is hidden: whether it is the column to read is not guessed; unhide "
                       "it to check it, or delete it, then import again", name)
    if out.refused:
        return out
    body = [(r, row) for r, row in enumerate(grid.rows) if r > header_row and any(v not in (None, "") for v in row)]
    out.rows = len(body)
    converted = _convert_legacy(grid, cols, body, out)
    units = _Units(opts, system, out)
    people = _People(system)
    people.within = units.units.keys()
    people.fresh = units.created.keys()  # a live view: units this sheet creates
    seen_cards: dict[str, str] = {}
    seen_people: dict[tuple, str] = {}
    seen_citizens: dict[str, str] = {}
    provenance = f"sheet:{opts.file_hash[:16]}:{opts.filename[:60]}"
    told(0, len(body))
    last = importing.clock()
    for checked, (r, row) in enumerate(body):
        now = importing.clock()
        if checked and (checked % importing.PROGRESS_EVERY == 0 or now - last >= importing.PROGRESS_SECONDS):
            told(checked, len(body))
            last = now
        ref_row = f"{grid.sheet}!{r + 1}"
        if r in grid.hidden:
            out.refuse(ref_row, "hidden_row", f"Dòng {r + 1} đang bị ẩn (hoặc bị lọc đi): không rõ dòng này có thuộc "
                       "danh sách hay không; hãy bỏ ẩn để kiểm tra hoặc xóa dòng rồi nhập lại",
                       f"Row {r + 1} is hidden (or filtered out): whether it belongs to the list is not guessed; "
                       "unhide it to check it, or delete it, then import again")
            continue

        def cell(name):
            c = cols.get(name)
            if c is None or c >= len(row):
                return None
            return converted.get((r, c), row[c])

        def ref(name):
            c = cols.get(name)
            return grid.ref(r, c) if c is not None else ref_row

        try:
            facts = _row_facts(opts, cell, ref)
        except _Refused as exc:
            out.refuse(exc.ref, exc.code, exc.vi, exc.en, exc.field)
            continue
        if opts.kind != "members" and not facts.get("cell"):
            unit_id = None  # a list of events about known members: found anywhere under the target
        else:
            unit_id = units.resolve(facts.get("committee"), facts.get("cell"), ref("cell"), facts.get("_first_date"))
            if unit_id is None:
                continue
        card = facts.get("card_number")
        citizen = facts.get("citizen_id")
        key = (plain(facts["full_name"]), facts.get("birth_date"), unit_id)
        if card and card in seen_cards:
            out.refuse(ref("card_number"), "duplicate_in_file", f"Số thẻ trùng với dòng {seen_cards[card]}",
                       f"Same card number as row {seen_cards[card]}", "card_number")
            continue
        if citizen and citizen in seen_citizens:
            out.refuse(ref("citizen_id"), "duplicate_in_file", f"Số CCCD trùng với dòng {seen_citizens[citizen]}",
                       f"Same citizen ID (CCCD) number as row {seen_citizens[citizen]}", "citizen_id")
            continue
        if facts.get("birth_date") and key in seen_people:
            out.refuse(ref_row, "duplicate_in_file", f"Trùng họ tên, ngày sinh và chi bộ với dòng {seen_people[key]}",
                       f"Same name, birth date and cell as row {seen_people[key]}", "full_name")
            continue
        if card:
            seen_cards[card] = ref_row
        if citizen:
            seen_citizens[citizen] = ref_row
        seen_people[key] = ref_row
        line_no = r + 1
        before = len(out.lines)
        try:
            if opts.kind == "members":
                _member_row(opts, facts, unit_id, people, out, line_no)
            elif opts.kind == "working_away":
                _away_row(opts, facts, unit_id, people, out, line_no, ref_row)
            elif opts.kind == "discipline":
                _discipline_row(opts, facts, unit_id, people, out, line_no, ref_row)
            else:
                _removal_row(opts, facts, unit_id, people, out, line_no, ref_row)
        except _Refused as exc:
            del out.lines[before:]
            # a refusal about the row names the cell of the field it is about (Sheet1!C27)
            where = exc.ref if exc.ref not in ("", ref_row) else ref(exc.field) if exc.field in cols else ref_row
            out.refuse(where, exc.code, exc.vi, exc.en, exc.field)
            continue
        for line in out.lines[before:]:
            line["correlation_id"] = f"{provenance}:{grid.sheet[:40]}!{line_no}"
        out.refs[line_no] = ref_row
        if len(out.lines) == before:
            out.unchanged += 1
        else:
            out.accepted += 1
    if opts.kind == "members" and not out.refused:
        listed = {l["data"]["member_id"] for l in out.lines if "member_id" in l["data"]} | people.matched
        for unit in units.touched - set(units.created):
            for m in system.members_of(unit):
                if m["member_id"] not in listed and m.get("status") in ("probationary", "official"):
                    out.not_in_list.append({"member_id": m["member_id"], "org_unit_id": unit})
    told(len(body), len(body))
    out.lines = units.lines + sorted(out.lines, key=lambda l: (l["occurred_on"], l["line"]))
    return out


class _Refused(Exception):
    def __init__(self, ref, code, vi, en, field=None):
        self.ref, self.code, self.vi, self.en, self.field = ref, code, vi, en, field


def _row_facts(opts: Options, cell: Callable, ref: Callable) -> dict:
    spec = columns.KINDS[opts.kind]
    facts: dict = {}
    for name in spec["required"] + spec["optional"]:
        raw = cell(name)
        if raw in (None, ""):
            if name in spec["required"]:
                label = columns.FIELD_VI.get(name, name)
                raise _Refused(ref(name), "missing_value", f"Thiếu «{label}»", f"Missing '{name}'", name)
            continue
        if isinstance(raw, Uncomputed) and name != "index":
            raise _Refused(ref(name), "formula_not_computed",
                           f"Ô có công thức «{raw.formula}» nhưng tệp không lưu giá trị của nó (tệp do một chương "
                           "trình không tính công thức tạo ra): hãy mở tệp bằng Excel hoặc LibreOffice rồi lưu lại",
                           f"The cell holds the formula '{raw.formula}' but the file keeps no value for it (written "
                           "by a program that does not compute formulas): open the file in Excel or LibreOffice and "
                           "save it again", name)
        try:
            if name in ("birth_date", "admitted_on", "official_on", "started_on", "expected_return", "removed_on",
                        "decided_on", "violation_on"):
                facts[name] = values.read_date(raw, opts.today if name != "expected_return" else dt.date(2199, 12, 31))
            elif name == "sex":
                facts[name] = values.read_sex(raw)
            elif name == "ground":
                facts[name] = values.read_ground(raw)
            elif name == "form":
                facts[name] = values.read_form(raw)
            elif name == "demobilised":
                facts[name] = values.read_demobilised(raw)
            elif name == "index":
                continue
            elif name in values.IDENTITIES:
                facts[name] = values.read_identity(raw, name)
            else:
                v = values.text(raw)
                bad = next((ch for ch in v if ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0), None)
                if bad is not None:
                    raise values.BadValue("control_character", f"Có ký tự điều khiển U+{ord(bad):04X}",
                                          f"Contains control character U+{ord(bad):04X}")
                hidden = values.invisible(v)
                if hidden is not None:
                    code, at = f"U+{ord(hidden):04X}", v.index(hidden) + 1
                    raise values.BadValue("invisible_character", f"Có ký tự ẩn (không nhìn thấy) {code} ở vị trí {at}; "
                                          "hãy gõ lại ô này",
                                          f"Contains the invisible character {code} at position {at}; "
                                          "type the cell again")
                facts[name] = v
        except values.BadValue as exc:
            raise _Refused(ref(name), exc.code, exc.vi, exc.en, name) from None
    if facts.get("official_on") and facts.get("admitted_on") and facts["official_on"] < facts["admitted_on"]:
        raise _Refused(ref("official_on"), "official_before_admission", "Ngày chính thức trước ngày vào Đảng",
                       "Official before admission", "official_on")
    if facts.get("violation_on") and facts.get("decided_on") and facts["violation_on"] > facts["decided_on"]:
        raise _Refused(ref("violation_on"), "violation_after_decision", "Ngày vi phạm sau ngày quyết định kỷ luật",
                       "The violation is dated after the decision", "violation_on")
    facts["_first_date"] = min((facts[k] for k in ("admitted_on", "started_on", "removed_on") if k in facts),
                               default=None)
    return facts


class _People:
    """Members already in the system, found by id or by card / name + birth date within a unit."""

    def __init__(self, system: System):
        self.system = system
        self.by_unit: dict[str, list[dict]] = {}
        self.matched: set[str] = set()
        self.fresh: set[str] = set()
        self.within = set()  # units under the target: members elsewhere are not found from here

    def _candidates(self, unit_id: str | None):
        for unit in ([unit_id] if unit_id else sorted(self.within)):
            if unit not in self.by_unit:
                self.by_unit[unit] = self.system.members_of(unit)
            yield from self.by_unit[unit]

    def find(self, member_id: str, facts: dict, unit_id: str, fresh: bool = False) -> dict | None:
        """``fresh``: the unit is created by this very sheet, so nobody can be recorded in it yet (a
        card number already held elsewhere is refused by the admission rule itself)."""
        if fresh:
            return None
        record = self.system.member(member_id)
        if record is not None and record.get("org_unit_id") in self.within:
            self.matched.add(member_id)
            return record
        for m in self._candidates(unit_id):
            if facts.get("card_number") and m.get("card_number") == facts["card_number"]:
                self.matched.add(m["member_id"])
                return m
            if plain(m.get("full_name") or "") == plain(facts["full_name"]) and \
                    (not facts.get("birth_date") or str(m.get("birth_date")) == str(facts["birth_date"])):
                self.matched.add(m["member_id"])
                return m
        return None


def _line(type_: str, occurred_on: dt.date, data: dict, line_no: int, org_unit_id: str | None = None) -> dict:
    out = {"type": type_, "occurred_on": occurred_on.isoformat(), "data": data, "line": line_no}
    if org_unit_id:
        out["org_unit_id"] = org_unit_id
    return out


def _member_row(opts: Options, f: dict, unit_id: str, people: _People, out: Plan, n: int) -> None:
    member_id = sheet_member_id(f.get("card_number"), f["full_name"], f["birth_date"], unit_id)
    existing = people.find(member_id, f, unit_id, fresh=unit_id in people.fresh)
    record = {k: f[k] for k in RECORD_FIELDS if f.get(k)}
    if existing is None:
        data = {"member_id": member_id, "org_unit_id": unit_id, "birth_date": f["birth_date"].isoformat(),
                "sex": f["sex"], **record}
        if f.get("demobilised"):
            data["demobilised"] = f["demobilised"]
        out.lines.append(_line("member.admitted", f["admitted_on"], data, n, unit_id))
        if f.get("official_on"):
            out.lines.append(_line("member.recognized_official", f["official_on"],
                                   {"member_id": member_id, "decided_on": f["official_on"].isoformat()}, n, unit_id))
        return
    member_id = existing["member_id"]
    if existing.get("status") not in ("probationary", "official"):
        return  # left the party since the list was made: nothing to change from a member list
    on = opts.on or opts.today
    if str(existing.get("birth_date")) != f["birth_date"].isoformat():
        raise _Refused("", "differs_from_record", "Ngày sinh khác với hồ sơ trong hệ thống "
                       f"({_vn(existing.get('birth_date'))}); sửa hồ sơ trước khi nhập",
                       "Birth date differs from the system's record; correct the record first", "birth_date")
    if existing.get("org_unit_id") != unit_id:
        out.lines.append(_line("member.transferred", on, {"member_id": member_id, "from_org_unit_id":
                                                          existing.get("org_unit_id"), "to_org_unit_id": unit_id,
                                                          "kind": "official"}, n, unit_id))
        out.changes.append({"row": n, "member_id": member_id, "change": "transfer", "from": existing.get("org_unit_id"),
                            "to": unit_id})
    changed = {k: v for k, v in record.items() if (existing.get(k) or None) != v}
    if f.get("demobilised") and f["demobilised"] != existing.get("demobilised", "none"):
        changed["demobilised"] = f["demobilised"]
    if changed:
        out.lines.append(_line("member.record_updated", on, {"member_id": member_id, **changed}, n, unit_id))
        out.changes.append({"row": n, "member_id": member_id, "change": "record_update", "fields": sorted(changed)})
    if f.get("official_on") and existing.get("status") == "probationary":
        out.lines.append(_line("member.recognized_official", f["official_on"],
                               {"member_id": member_id, "decided_on": f["official_on"].isoformat()}, n, unit_id))
        out.changes.append({"row": n, "member_id": member_id, "change": "recognized_official"})


def _match_required(people: _People, f: dict, unit_id: str, ref_row: str, any_status: bool = False) -> dict:
    member_id = sheet_member_id(f.get("card_number"), f["full_name"], f.get("birth_date"), unit_id)
    existing = people.find(member_id, f, unit_id)
    if existing is None:
        raise _Refused(ref_row, "member_not_found", "Không tìm thấy đảng viên này trong hệ thống (theo số thẻ, hoặc "
                       "họ tên và ngày sinh trong chi bộ)", "No such member in the system (by card number, or by "
                       "name and birth date in the cell)", "full_name")
    return existing


def _away_row(opts, f, unit_id, people, out, n, ref_row):
    m = _match_required(people, f, unit_id, ref_row)
    if "working_away" in (m.get("categories") or []) or m.get("status") not in ("probationary", "official"):
        return
    data = {"member_id": m["member_id"], "place": f["place"]}
    if f.get("contact"):
        data["contact"] = f["contact"]
    if f.get("expected_return"):
        data["expected_return"] = f["expected_return"].isoformat()
    out.lines.append(_line("member.working_away_started", f["started_on"], data, n, m.get("org_unit_id")))
    out.changes.append({"row": n, "member_id": m["member_id"], "change": "working_away"})


def _removal_row(opts, f, unit_id, people, out, n, ref_row):
    m = _match_required(people, f, unit_id, ref_row)
    if m.get("status") not in ("probationary", "official"):
        return  # already off the rolls
    out.lines.append(_line("member.removed", f["removed_on"], {"member_id": m["member_id"], "ground": f["ground"]},
                           n, m.get("org_unit_id")))
    out.changes.append({"row": n, "member_id": m["member_id"], "change": "removed", "ground": f["ground"]})


def _discipline_row(opts, f, unit_id, people, out, n, ref_row):
    """A decision in the yearly discipline list; its case id comes from the member, the date and the
    form, so the same list twice records nothing new. Expulsions reach members as for a live one."""
    m = _match_required(people, f, unit_id, ref_row, any_status=True)
    case_id = "kl-" + hashlib.sha256(f"{m['member_id']}|{f['decided_on']}|{f['form']}".encode()).hexdigest()[:20]
    if people.system.case(case_id) is not None:
        return  # recorded by an earlier import of this list
    data = {"case_id": case_id, "subject_kind": "member", "subject_id": m["member_id"], "form": f["form"],
            "violation_on": f["violation_on"].isoformat()}
    for k in ("decided_by", "post"):
        if f.get(k):
            data[k] = f[k]
    out.lines.append(_line("discipline.applied", f["decided_on"], data, n, m.get("org_unit_id")))
    out.changes.append({"row": n, "member_id": m["member_id"], "change": "discipline", "form": f["form"]})


def _vn(value) -> str:
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


class _Units:
    """Cells named in the sheet, found under the target unit or (when asked) created there."""

    def __init__(self, opts: Options, system: System, out: Plan):
        self.opts, self.out = opts, out
        self.units = {u["org_unit_id"]: u for u in system.units()}
        self.lines: list[dict] = []
        self.created: dict[str, dict] = {}
        self.touched: set[str] = set()
        root = self.units.get(opts.into)
        self.root = root

    def _children(self, parent: str) -> list[dict]:
        return [u for u in list(self.units.values()) + list(self.created.values()) if u.get("parent_id") == parent]

    def _under(self, parent: str, name: str) -> dict | None:
        p = plain(name)
        stack, found = [parent], []
        while stack:
            cur = stack.pop()
            for u in self._children(cur):
                if plain(u["name"]) == p:
                    found.append(u)
                stack.append(u["org_unit_id"])
        return found[0] if len(found) == 1 else (found if found else None)

    def resolve(self, committee: str | None, cell: str | None, ref: str, first: dt.date | None) -> str | None:
        into = self.opts.into
        if not cell:
            if self.root and self.root.get("kind") in MEMBER_HOLDING:
                self.touched.add(into)
                return into
            self.out.refuse(ref, "missing_value", "Thiếu «Chi bộ» (tổ chức nhận không phải chi bộ)",
                            "Missing the cell (the target unit is not a cell)", "cell")
            return None
        parent = into
        if committee:
            c = self._under(into, committee)
            if isinstance(c, list):
                self.out.refuse(ref, "ambiguous_unit", f"Có nhiều đảng bộ tên «{committee}»",
                                f"Several committees named '{committee}'", "committee")
                return None
            if c is None:
                if not self.opts.create_units:
                    self.out.refuse(ref, "unit_not_found", f"Không có đảng bộ «{committee}» trong tổ chức nhận; "
                                    "dùng --create-units để tạo", f"No committee '{committee}' under the target; "
                                    "use --create-units to create it", "committee")
                    return None
                c = self._create(unit_id_for(into, committee, None), committee, "grassroots_committee", into, first)
            parent = c["org_unit_id"]
        u = self._under(parent, cell)
        if isinstance(u, list):
            self.out.refuse(ref, "ambiguous_unit", f"Có nhiều chi bộ tên «{cell}»; ghi thêm cột Đảng bộ",
                            f"Several cells named '{cell}'; add the committee column", "cell")
            return None
        if u is None:
            if not self.opts.create_units:
                self.out.refuse(ref, "unit_not_found", f"Không có chi bộ «{cell}» trong tổ chức nhận; dùng "
                                "--create-units để tạo", f"No cell '{cell}' under the target; use --create-units "
                                "to create it", "cell")
                return None
            parent_kind = (self.created.get(parent) or self.units.get(parent) or {}).get("kind")
            kind = "cell" if parent_kind in ("grassroots_committee", "branch") else "grassroots_cell"
            u = self._create(unit_id_for(into, committee, cell), cell, kind, parent, first)
        elif u.get("kind") not in MEMBER_HOLDING:
            self.out.refuse(ref, "not_a_cell", f"«{cell}» không phải chi bộ", f"'{cell}' is not a cell", "cell")
            return None
        self.touched.add(u["org_unit_id"])
        self._date(u["org_unit_id"], first)
        return u["org_unit_id"]

    def _create(self, unit_id: str, name: str, kind: str, parent: str, first: dt.date | None) -> dict:
        unit = {"org_unit_id": unit_id, "name": name, "kind": kind, "parent_id": parent, "_line": len(self.lines)}
        self.created[unit_id] = unit
        line = _line("org_unit.created", first or self.opts.today,
                     {"org_unit_id": unit_id, "name": name, "kind": kind, "parent_id": parent}, 0, unit_id)
        self.lines.append(line)
        # a unit exists from the first fact dated in it, its parent no later than it
        self._date(unit_id, first)
        return unit

    def _date(self, unit_id: str, first: dt.date | None):
        while unit_id in self.created and first:
            line = self.lines[self.created[unit_id]["_line"]]
            if dt.date.fromisoformat(line["occurred_on"]) > first:
                line["occurred_on"] = first.isoformat()
            unit_id = self.created[unit_id]["parent_id"]

    def note_date(self, unit_id: str, first: dt.date | None):
        self._date(unit_id, first)


def _convert_legacy(grid: Grid, cols: dict[str, int], body, out: Plan) -> dict:
    """Text columns typed in TCVN3 or VNI, converted; a column mixing them with Unicode refused."""
    converted = {}
    for name, c in cols.items():
        if name not in TEXT_FIELDS:
            continue
        texts = [(r, row[c]) for r, row in body if c < len(row) and isinstance(row[c], str)]
        try:
            enc = legacy.detect([t for _, t in texts])
        except legacy.MixedEncoding:
            out.refuse(f"{grid.sheet}!{get_column_letter(c + 1)}", "mixed_encoding",
                       f"Cột «{columns.FIELD_VI.get(name, name)}» trộn chữ Unicode với chữ mã cũ (TCVN3/VNI); "
                       "hãy chuyển cả cột về Unicode", f"Column '{name}' mixes Unicode with legacy (TCVN3/VNI) text; "
                       "convert the whole column to Unicode", name)
            continue
        if enc != "unicode":
            convert = legacy.CONVERTERS[enc]
            for r, t in texts:
                converted[(r, c)] = convert(t)
            out.notes.append({"code": f"converted_{enc}", "column": get_column_letter(c + 1),
                              "message_vi": f"Cột {get_column_letter(c + 1)} ({columns.FIELD_VI.get(name, name)}) "
                                            f"gõ bằng mã {legacy.ENCODING_VI[enc]}, đã chuyển sang Unicode",
                              "message_en": f"Column {get_column_letter(c + 1)} ({name}) was typed in "
                                            f"{legacy.ENCODING_VI[enc]}; converted to Unicode"})
    return converted
