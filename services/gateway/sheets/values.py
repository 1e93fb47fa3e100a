"""Cell values of the party's lists read as the system's values: dates, sex, removal grounds.

Each reader returns the value or raises ``BadValue`` with a Vietnamese and an English reason; the
caller names the cell. Nothing is guessed: a date that could be read two ways is refused.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from shared.catalog.common import one_space

from services.gateway.sheets.columns import plain

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (the 1900 leap-year bug folded in)
EARLIEST = dt.date(1900, 1, 1)


class BadValue(ValueError):
    def __init__(self, code: str, vi: str, en: str):
        super().__init__(en)
        self.code, self.vi, self.en = code, vi, en


def read_date(value, today: dt.date) -> dt.date:
    """dd/mm/yyyy, d/m/yyyy, d/m/yy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd, an Excel date or serial."""
    if isinstance(value, dt.datetime):
        return _bounded(value.date(), today)
    if isinstance(value, dt.date):
        return _bounded(value, today)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, today)
    text = str(value).strip()
    if re.fullmatch(r"\d{4,6}(\.0+)?", text):
        if len(text.split(".")[0]) == 4 and 1900 <= int(text.split(".")[0]) <= today.year:
            raise BadValue("year_only", f"«{text}» chỉ là năm, cần đủ ngày/tháng/năm",
                           f"'{text}' is only a year; a full date is needed")
        return _serial(float(text), today)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), text, today)
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    if not m:
        raise BadValue("invalid_date", f"«{text}» không phải ngày (dd/mm/yyyy)", f"'{text}' is not a date (dd/mm/yyyy)")
    day, month, year = int(m[1]), int(m[2]), m[3]
    if month > 12 and day <= 12:
        raise BadValue("ambiguous_date", f"«{text}» có vẻ viết theo tháng/ngày; hãy ghi ngày/tháng/năm (dd/mm/yyyy)",
                       f"'{text}' looks like month/day; write day/month/year (dd/mm/yyyy)")
    if len(year) == 2:
        yy = int(year)
        candidates = [c for c in (1900 + yy, 2000 + yy) if 1920 <= c and _valid(c, month, day)
                      and dt.date(c, month, day) <= today]
        if len(candidates) != 1:
            raise BadValue("ambiguous_date", f"«{text}»: năm hai chữ số không rõ thế kỷ; hãy ghi đủ bốn chữ số",
                           f"'{text}': a two-digit year whose century is unclear; write all four digits")
        return _make(candidates[0], month, day, text, today)
    return _make(int(year), month, day, text, today)


def _valid(y: int, m: int, d: int) -> bool:
    try:
        dt.date(y, m, d)
        return True
    except ValueError:
        return False


def _make(y: int, m: int, d: int, text: str, today: dt.date) -> dt.date:
    try:
        day = dt.date(y, m, d)
    except ValueError:
        raise BadValue("invalid_date", f"«{text}» không phải ngày có thật", f"'{text}' is not a real date") from None
    return _bounded(day, today)


def _serial(n: float, today: dt.date) -> dt.date:
    if n != int(n) or not 1 <= n <= 100_000:
        raise BadValue("invalid_date", f"«{n}» không phải ngày", f"'{n}' is not a date")
    return _bounded(EXCEL_EPOCH + dt.timedelta(days=int(n)), today)


def _bounded(d: dt.date, today: dt.date) -> dt.date:
    if d < EARLIEST or d > today:
        shown = d.strftime("%d/%m/%Y")
        raise BadValue("date_out_of_range", f"Ngày {shown} nằm ngoài khoảng 01/01/1900 – hôm nay",
                       f"Date {shown} is outside 01/01/1900 – today")
    return d


def read_sex(value) -> str:
    p = plain(value)
    if p in ("nam", "male", "m", "trai"):
        return "male"
    if p in ("nu", "female", "f", "gai"):
        return "female"
    raise BadValue("invalid_sex", f"Giới tính «{value}» không rõ (Nam hoặc Nữ)", f"Unclear sex '{value}' (Nam or Nữ)")


_GROUNDS = (
    ("bo sinh hoat", "abandoned_activity"), ("khong sinh hoat", "abandoned_activity"),
    ("dang phi", "unpaid_dues"), ("tra the", "card_returned"), ("nop the", "card_returned"),
    ("2 nam lien", "standards_violated_two_years"), ("hai nam lien", "standards_violated_two_years"),
    ("khong tien bo", "no_progress"), ("giam sut y chi", "no_progress"),
    ("chinh tri", "political_standard"), ("du bi", "failed_probation"),
)
GROUND_CODES = ("abandoned_activity", "unpaid_dues", "card_returned", "no_progress", "standards_violated_two_years",
                "political_standard", "failed_probation")


def _coded(value, codes, phrases, refusal) -> str:
    """A code written as itself or as the Vietnamese words of one (with or without diacritics)."""
    text = str(value).strip()
    if text in codes:
        return text
    p = plain(text)
    for words, code in phrases:
        if words in p:
            return code
    raise refusal(text)


def read_ground(value) -> str:
    return _coded(value, GROUND_CODES, _GROUNDS, lambda text: BadValue(
        "unknown_ground", f"Lý do xóa tên «{text}» không thuộc các trường hợp của Điều lệ (ví dụ: bỏ "
        "sinh hoạt đảng, không đóng đảng phí)",
        f"Removal ground '{text}' is not one of the Statute's cases (e.g. abandoned party activity, "
        "unpaid dues)"))


def read_demobilised(value) -> str:
    p = plain(value)
    if p in ("", "khong", "none", "0"):
        return "none"
    if "cong an" in p or p == "police":
        return "police"
    if "quan doi" in p or p in ("army", "x", "co", "quan nhan"):
        return "army"
    raise BadValue("invalid_demobilised", f"«{value}»: ghi Quân đội, Công an hoặc để trống",
                   f"'{value}': write Quân đội (army), Công an (police) or leave empty")


def text(value) -> str:
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return one_space(str(value))


def invisible(text_: str) -> str | None:
    """The first invisible format character (zero-width space, joiner, BOM, soft hyphen): it
    splits a word for every search while the clerk sees nothing."""
    return next((ch for ch in text_ if unicodedata.category(ch) == "Cf"), None)


_FORMS = (("khien trach", "reprimand"), ("canh cao", "warning"), ("cach chuc", "dismissal"),
          ("khai tru", "expulsion"), ("giai tan", "dissolution"))
FORM_CODES = ("reprimand", "warning", "dismissal", "expulsion", "dissolution")


def read_form(value) -> str:
    """Hình thức kỷ luật đảng viên (Điều lệ Đảng, Điều 35): khiển trách, cảnh cáo, cách chức, khai trừ."""
    return _coded(value, FORM_CODES, _FORMS, lambda text: BadValue(
        "unknown_form", f"Hình thức kỷ luật «{text}» không rõ (khiển trách, cảnh cáo, cách chức, khai trừ)",
        f"Unknown discipline form '{text}' (reprimand, warning, dismissal, expulsion)"))


#: identity numbers as the live commands take them (shared/contracts/members.py)
IDENTITIES = {"card_number": (8, "invalid_card_number", "Số thẻ đảng viên", "The party card number"),
              "citizen_id": (12, "invalid_citizen_id", "Số CCCD", "The citizen ID (CCCD) number")}


def read_identity(value, field: str) -> str:
    """A card (8 digits) or CCCD (12 digits) number, exactly as written. A card typed as a number
    gets its leading zeros back (card numbers have a fixed width); a CCCD typed as a number that
    has lost its zero is refused, not guessed."""
    digits, code, vi, en = IDENTITIES[field]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    shown = text(value)
    if number and field == "card_number" and value == int(value):
        shown = str(int(value)).zfill(digits)
    if len(shown) == digits and shown.isascii() and shown.isdigit():
        return shown
    hint_vi = " (ô kiểu số làm mất số 0 đầu: định dạng cột là Văn bản/Text rồi ghi lại)" if number else ""
    hint_en = " (a number cell drops the leading zero: format the column as Text and type it again)" if number else ""
    raise BadValue(code, f"{vi} «{shown}» phải gồm đúng {digits} chữ số{hint_vi}",
                   f"{en} '{shown}' must be exactly {digits} digits{hint_en}")
