"""Queries and commands of the reporting service.

Every report takes the two clocks: ``as_of`` (business date; default today) and ``known_at``
(only facts recorded by then; default: everything known), and a period given by ``term``,
``year`` or ``from``/``to``, with ``compare`` for the comparison period (default: the one before).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from shared.catalog.common import BusinessDate, Id
from shared.catalog.reporting import Indicator, Period
from shared.contracts import Command, Query, Spec

READERS = ("viewer", "clerk", "inspector", "administrator")
VN_TIME = dt.timezone(dt.timedelta(hours=7))


def _day(value):
    """dd/mm/yyyy (as every report prints dates) or yyyy-mm-dd."""
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", value)
        if m:
            try:
                return dt.date(int(m[3]), int(m[2]), int(m[1]))
            except ValueError:
                raise ValueError(f"ngày không tồn tại / no such date: {value.strip()}") from None
    return value


def _moment(value):
    """A timestamp, or a day (dd/mm/yyyy or yyyy-mm-dd): everything recorded by the end of that
    day in Vietnam (UTC+7)."""
    day = _day(value)
    if isinstance(day, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", day):
        day = dt.date.fromisoformat(day.strip())
    if isinstance(day, dt.date) and not isinstance(day, dt.datetime):
        return dt.datetime.combine(day, dt.time(23, 59, 59, 999999), VN_TIME)
    return day


ReportDate = Annotated[BusinessDate, BeforeValidator(_day)]
KnownAt = Annotated[dt.datetime, BeforeValidator(_moment)]
#: as_stood: each fact in the units its unit belonged to on its date (default); current: today's tree
Structure = Literal["as_stood", "current"]


class HeadcountQuery(Query):
    org_unit_id: Id | None = None
    as_of: ReportDate | None = None
    known_at: KnownAt | None = None
    structure: Structure | None = None
    #: one page of the list (1-based) and its size (default 100); without both, the whole list
    page: int | None = Field(None, ge=1, le=1_000_000)
    page_size: int | None = Field(None, ge=1, le=1000)


class ReportQuery(Query):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    org_unit_id: Id | None = None
    #: business date the report is drawn on (ngày số liệu); default today
    as_of: ReportDate | None = None
    #: only facts recorded by this time (thời điểm ghi nhận); default everything
    known_at: KnownAt | None = None
    #: the organisation structure the report is drawn on (cơ cấu tổ chức): as it stood, or current
    structure: Structure | None = None
    term: Period | None = None
    compare: Period | None = None
    year: int | None = Field(None, ge=1930, le=2200)
    from_: ReportDate | None = Field(None, alias="from")
    to: ReportDate | None = None
    #: one page of the list (1-based) and its size (default 100); without both, the whole list
    page: int | None = Field(None, ge=1, le=1_000_000)
    page_size: int | None = Field(None, ge=1, le=1000)


class YearlyQuery(Query):
    """The yearly report to the Standing Committee (D8): every figure of the document, one view.

    Without ``known_at`` the figures are drawn as known at the moment of the query, and that moment
    is returned, so the document can name it and ``audit reproduce`` can draw them again."""

    org_unit_id: Id | None = None
    year: int = Field(ge=1930, le=2200)
    #: the days as every report reads them (dd/mm/yyyy or yyyy-mm-dd; a day known_at is its end in Vietnam)
    as_of: ReportDate | None = None
    known_at: KnownAt | None = None
    #: the term compared in the footnote table and the Đề án targets; default the year's term
    term: Period | None = None


class AuditTrailQuery(Query):
    member_id: Id


class NoParams(Query):
    pass


class SealNow(Command):
    """Seal every intact store now; the answer carries the seals, to be kept outside the servers."""

    occurred_on: BusinessDate = Field(default_factory=dt.date.today)


class VerifySeals(Command):
    """Verify every store also against seals kept elsewhere (``dangvien audit seal --output``)."""

    occurred_on: BusinessDate = Field(default_factory=dt.date.today)
    seals: list[dict] = Field(max_length=100_000)


class RegisterTarget(Command):
    """Chỉ tiêu (Đề án 02/03-ĐA/TU, đăng ký "trong sạch, vững mạnh"): a maximum for a unit and period."""

    org_unit_id: Id
    period: Period
    indicator: Indicator
    value: int = Field(ge=0)


def _report(name_vi: str, name_en: str) -> Spec:
    return Spec(ReportQuery, name_vi, name_en, roles=READERS)


QUERIES = {
    "headcount": Spec(HeadcountQuery, "Số lượng đảng viên theo tổ chức (cộng dồn cấp dưới)",
                      "Headcount per org unit with subtree roll-up", roles=READERS),
    "headcount_report": _report("Số lượng đảng viên tại một ngày (theo cơ cấu đã chọn)",
                                "Headcount on a day, as a report (structure as chosen)"),
    "term": _report("Bảng thống kê nhiệm kỳ/năm (chú thích 1 của Chỉ thị)", "Term/year table (footnote 1)"),
    "movement": _report("Biến động đảng viên (Biểu 1)", "Membership movement (form 1)"),
    "warnings": _report("Danh sách cảnh báo sớm", "Early-warning lists"),
    "evaluation": _report("Tiêu chí đánh giá: thực hiện so với chỉ tiêu", "Evaluation criteria: actual vs target"),
    "meetings": _report("Chất lượng sinh hoạt chi bộ", "Cell meeting quality"),
    "causes": _report("Nguyên nhân theo đối tượng đảng viên và tuổi đảng", "Causes by member category and party age"),
    "anomalies": _report("Bất thường cần kiểm tra", "Audit anomalies"),
    "composition": _report("Cơ cấu đảng viên: đối tượng, dự bị/chính thức, xếp loại",
                           "Composition: categories, probationary/official, ratings"),
    "yearly": Spec(YearlyQuery, "Số liệu báo cáo năm gửi Ban Thường vụ Tỉnh ủy (D8)",
                   "Figures of the yearly report to the Standing Committee (D8)", roles=READERS),
    "replay_status": Spec(NoParams, "Tiến độ dựng lại số liệu", "Replay progress", roles=READERS, scope_fields=()),
    "checksum": Spec(NoParams, "Mã kiểm tra của số liệu báo cáo", "Read model checksum", roles=READERS,
                     scope_fields=()),
    "audit_trail": Spec(AuditTrailQuery, "Lịch sử mọi dữ kiện về một đảng viên", "Every fact about a member",
                        roles=("inspector", "administrator")),
    "audit_verify": Spec(NoParams, "Kiểm tra tính toàn vẹn mọi kho sự kiện (băm có khóa, chuỗi, vị trí, niêm phong)",
                         "Verify every event store (keyed hashes, chains, positions, seals)",
                         roles=("inspector", "administrator"), scope_fields=()),
}
COMMANDS = {
    "register_target": Spec(RegisterTarget, "Đăng ký chỉ tiêu", "Register a target",
                            roles=("administrator", "clerk")),
    "audit_seal": Spec(SealNow, "Niêm phong mọi kho sự kiện nguyên vẹn (để giữ bản sao bên ngoài)",
                       "Seal every intact event store (keep the copy outside the servers)",
                       roles=("inspector", "administrator"), scope_fields=()),
    "audit_verify_seals": Spec(VerifySeals, "Kiểm tra mọi kho sự kiện với các dấu niêm phong giữ bên ngoài",
                               "Verify every event store against seals kept elsewhere",
                               roles=("inspector", "administrator"), scope_fields=()),
    "replay": Spec(NoParams, "Dựng lại toàn bộ số liệu báo cáo từ kho sự kiện",
                   "Rebuild every read model from the event stores", roles=("administrator",), scope_fields=()),
}
