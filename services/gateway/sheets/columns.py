"""Which column holds what: the usual Vietnamese headers of the party's lists, with or without
diacritics and in any case, found below any merged title rows; a mapping file names the rest."""
from __future__ import annotations

import re
import unicodedata

from shared.errors import DomainError


def plain(text: str) -> str:
    """Lower case, no diacritics (đ → d), words separated by single spaces."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


#: field → header texts (plain form) that name it, most specific first
HEADERS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho va ten", "ho ten", "ho va ten dang vien", "ho ten dang vien", "ten dang vien"),
    "birth_date": ("ngay sinh", "ngay thang nam sinh", "sinh ngay", "ngay sinh dd mm yyyy"),
    "sex": ("gioi tinh", "nam nu", "phai"),
    "ethnicity": ("dan toc",),
    "religion": ("ton giao",),
    "hometown": ("que quan", "nguyen quan"),
    "admitted_on": ("ngay vao dang", "ngay ket nap", "ngay ket nap dang", "ngay vao dang lan dau"),
    "official_on": ("ngay chinh thuc", "ngay cong nhan chinh thuc", "ngay vao dang chinh thuc"),
    "card_number": ("so the dang vien", "so the", "so the dv", "so the dang"),
    "background_file_number": ("so ly lich", "so ly lich dang vien", "so ll", "so lldv"),
    "citizen_id": ("so cccd", "cccd", "so can cuoc cong dan", "can cuoc cong dan", "so dinh danh",
                   "so dinh danh ca nhan"),
    "cell": ("chi bo", "ten chi bo", "chi bo sinh hoat", "chi bo truc thuoc"),
    "committee": ("dang bo", "dang bo co so", "ten dang bo", "dang bo truc thuoc"),
    "education": ("trinh do van hoa", "giao duc pho thong", "van hoa"),
    "political_theory": ("ly luan chinh tri", "trinh do ly luan chinh tri", "llct"),
    "occupation": ("nghe nghiep", "nghe nghiep hien nay"),
    "demobilised": ("xuat ngu", "quan nhan xuat ngu", "dang vien xuat ngu"),
    # working away
    "place": ("noi den", "noi lam viec", "noi di lam an xa", "noi lam an", "dia chi noi lam an", "dia chi noi den",
              "noi di"),
    "started_on": ("ngay di", "thoi gian di", "ngay bat dau", "tu ngay", "ngay di lam an xa"),
    "contact": ("lien lac", "so dien thoai", "dien thoai", "thong tin lien lac"),
    "expected_return": ("du kien ve", "ngay du kien ve", "den ngay"),
    # removals
    "removed_on": ("ngay xoa ten", "ngay quyet dinh xoa ten", "ngay quyet dinh"),
    "ground": ("ly do", "ly do xoa ten", "can cu xoa ten", "truong hop"),
    # discipline
    "form": ("hinh thuc ky luat", "hinh thuc", "hinh thuc xu ly", "ky luat"),
    "decided_on": ("ngay quyet dinh", "ngay ky quyet dinh", "ngay ky luat", "ngay quyet dinh ky luat"),
    "violation_on": ("ngay vi pham", "thoi diem vi pham", "thoi gian vi pham"),
    "decided_by": ("cap quyet dinh", "co quan quyet dinh", "cap ky luat", "cap thi hanh ky luat"),
    "post": ("chuc vu", "chuc vu bi cach", "chuc vu dang"),
    "note": ("ghi chu",),
    "index": ("stt", "tt", "so tt", "so thu tu"),
}

#: fields each kind of list needs, and those it may have
KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "members": {"required": ("full_name", "birth_date", "sex", "admitted_on"),
                "optional": ("official_on", "card_number", "background_file_number", "citizen_id", "ethnicity",
                             "religion", "education", "political_theory", "occupation", "demobilised", "cell",
                             "committee", "hometown", "note", "index")},
    "working_away": {"required": ("full_name", "place", "started_on"),
                     "optional": ("birth_date", "card_number", "contact", "expected_return", "cell", "committee",
                                  "note", "index", "sex")},
    "removals": {"required": ("full_name", "removed_on", "ground"),
                 "optional": ("birth_date", "card_number", "cell", "committee", "note", "index", "sex")},
    "discipline": {"required": ("full_name", "form", "decided_on", "violation_on"),
                   "optional": ("birth_date", "card_number", "cell", "committee", "decided_by", "post", "note",
                                "index", "sex")},
}

FIELD_VI = {
    "full_name": "Họ và tên", "birth_date": "Ngày sinh", "sex": "Giới tính", "admitted_on": "Ngày vào Đảng",
    "official_on": "Ngày chính thức", "card_number": "Số thẻ đảng viên", "place": "Nơi đi làm ăn xa",
    "started_on": "Ngày đi", "removed_on": "Ngày xóa tên", "ground": "Lý do xóa tên", "cell": "Chi bộ",
    "committee": "Đảng bộ", "form": "Hình thức kỷ luật", "decided_on": "Ngày quyết định",
    "violation_on": "Ngày vi phạm",
}


def _match(header: str, wanted=None) -> str | None:
    """The field a header names, among ``wanted`` (one header text can mean different fields in
    different lists: "Ngày quyết định" is the removal's date in a removals list)."""
    p = plain(header)
    if not p:
        return None
    candidates = {n: t for n, t in HEADERS.items() if wanted is None or n in wanted}
    for name, texts in candidates.items():
        if p in texts:
            return name
    # "Họ và tên (1)", "Ngày vào Đảng (dd/mm/yyyy)": a known header followed by a note
    best = None
    for name, texts in candidates.items():
        for t in texts:
            if p.startswith(t + " ") and (best is None or len(t) > best[1]):
                best = (name, len(t))
    return best[0] if best else None


#: a group header over date columns, as in the member list form: "Ngày, tháng, năm" over "Sinh",
#: "Vào Đảng", "Chính thức" — each read as "Ngày sinh", "Ngày vào Đảng", "Ngày chính thức"
DATE_GROUPS = ("ngay thang nam", "ngay thang", "ngay")


def _two_rows(upper: list[object], lower: list[object]) -> list[tuple[str, bool] | None]:
    """The headers of a header on two rows, as (text, exact only): a group's text (merged across
    its columns) over each of its sub-headers; the other headers merged down over both rows (or
    written in the upper row alone). A group and its sub-header read together must be a usual
    header exactly: nothing below a header row is taken for a sub-header by a prefix."""
    out: list[tuple[str, bool] | None] = []
    for c in range(max(len(upper), len(lower))):
        above = upper[c] if c < len(upper) and isinstance(upper[c], str) else None
        below = lower[c] if c < len(lower) else None
        if below is None:
            out.append((above, False) if above else None)
        elif not isinstance(below, str):
            out.append(None)
        elif above is None or plain(above) == plain(below):
            out.append((below, False))
        else:
            group = plain(above)
            out.append(((("ngay" if group in DATE_GROUPS else group) + " " + plain(below)), True))
    return out


def _columns(texts, wanted, mapped) -> dict[str, int]:
    cols: dict[str, int] = {}
    for c, item in enumerate(texts):
        if item is None:
            continue
        value, exact = item
        name = mapped.get(plain(value)) or (_exact(value, wanted) if exact else _match(value, wanted))
        if name in wanted and name not in cols:
            cols[name] = c
    return cols


def _exact(header: str, wanted) -> str | None:
    p = plain(header)
    return next((n for n, texts in HEADERS.items() if n in wanted and p in texts), None)


def find_header(rows: list[list[object]], kind: str, mapping: dict[str, str] | None = None,
                scan: int = 30) -> tuple[int, dict[str, int]]:
    """(index of the header row, field → column index) for the first row naming the list's
    required columns — alone, or read with the row above it as a header on two rows (the member
    list form's); title rows above it (merged cells, the unit's name) are skipped."""
    need = KINDS[kind]["required"]
    wanted = set(need) | set(KINDS[kind]["optional"])
    mapped = {plain(h): f for f, h in (mapping or {}).items()}
    best: tuple[int, dict[str, int]] | None = None
    for r, row in enumerate(rows[:scan]):
        alone = _columns([(v, False) if isinstance(v, str) else None for v in row], wanted, mapped)
        tried = [alone] + ([_columns(_two_rows(rows[r - 1], row), wanted, mapped)] if r else [])
        for cols in tried:
            if all(n in cols for n in need):
                return r, cols
            if cols and (best is None or len(cols) > len(best[1])):
                best = (r, cols)
    missing = [n for n in need if best is None or n not in best[1]]
    names_vi = ", ".join(f"«{FIELD_VI.get(n, n)}»" for n in missing)
    raise DomainError("columns_missing", f"Không tìm thấy cột {names_vi} trong {scan} dòng đầu; đặt tên cột theo "
                      "mẫu danh sách hoặc dùng tệp ánh xạ (--mapping)",
                      f"Column(s) {', '.join(missing)} not found in the first {scan} rows; use the usual headers "
                      "or a mapping file (--mapping)", field=missing[0] if missing else None)
