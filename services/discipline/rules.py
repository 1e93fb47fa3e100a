"""The discipline service's refusals, by name: code, texts (Vietnamese first) and the source each
cites. ``domain.py`` raises them; the codes and texts are what clients and tests read, so they
change only with a contract change.

Dates in the texts come formatted dd/mm/yyyy (``shared.dates.vn``) by the caller.
"""
from __future__ import annotations

from shared.errors import Conflict, DomainError, NotFound, Rule

CHARTER = "Điều lệ Đảng"
#: checks of the record itself (dates in order, the thing named exists): no provision to cite
RECORD = "tính nhất quán của hồ sơ / consistency of the record"

# -- dates and subjects ------------------------------------------------------------------------
DATE_IN_FUTURE = Rule("date_in_future", "Ngày {day} ở tương lai (hôm nay là {today})",
                      "Date {day} is in the future (today is {today})", RECORD, field="occurred_on")
MEMBER_NOT_FOUND = Rule("member_not_found", "Không có đảng viên «{sid}» trong danh sách vào ngày {day}",
                        "No member '{sid}' on the rolls on {day}", RECORD, NotFound)
MEMBER_LEFT = Rule("member_left", "«{sid}» không còn là đảng viên vào ngày {day}",
                   "'{sid}' was no longer a member on {day}", RECORD)
ORG_UNIT_NOT_FOUND = Rule("org_unit_not_found", "Không có tổ chức đảng «{sid}» vào ngày {day}",
                          "No party organisation '{sid}' on {day}", RECORD, NotFound)
ORG_UNIT_INACTIVE = Rule("org_unit_inactive", "Tổ chức đảng «{sid}» đã giải thể hoặc hợp nhất trước ngày {day}",
                         "Party organisation '{sid}' was dissolved or merged before {day}", RECORD)

# -- forms ---------------------------------------------------------------------------------------
FORM_NOT_ALLOWED = Rule("form_not_allowed",
                        "Không thể thi hành kỷ luật «{form_vi}» đối với {subject_vi}; chỉ được: {allowed_vi}",
                        "Form '{form}' is not allowed for {subject_en}; allowed: {allowed}",
                        f"{CHARTER}, Điều 36")
DISMISSAL_NEEDS_POST = Rule("dismissal_needs_post",
                            "Chỉ thi hành kỷ luật cách chức đối với đảng viên đang giữ chức vụ; hãy ghi chức vụ",
                            "Dismissal applies only to a member holding a post; give the post",
                            f"{CHARTER}, Điều 36", field="post")
FORM_UNCHANGED = Rule("form_unchanged", "Hình thức kỷ luật đã là «{form_vi}»", "The form is already '{form}'",
                      RECORD, field="form")
FORM_REQUIRED = Rule("form_required", "Thay đổi hình thức kỷ luật thì phải ghi hình thức mới",
                     "A changed outcome needs the new form", RECORD, field="form")
FORM_NOT_EXPECTED = Rule("form_not_expected", "Chỉ ghi hình thức mới khi thay đổi hình thức kỷ luật",
                         "A new form is given only for a changed outcome", RECORD, field="form")

# -- inspections and supervision (one rule per kind: the code names it) -------------------------
INSPECTION_EXISTS = Rule("inspection_exists", "Đã có cuộc kiểm tra «{ident}»", "Inspection '{ident}' already exists",
                         RECORD, Conflict, field="inspection_id")
SUPERVISION_EXISTS = Rule("supervision_exists", "Đã có cuộc giám sát «{ident}»",
                          "Supervision '{ident}' already exists", RECORD, Conflict, field="supervision_id")
INSPECTION_NOT_FOUND = Rule("inspection_not_found", "Không tìm thấy cuộc kiểm tra «{ident}»",
                            "Inspection '{ident}' not found", RECORD, NotFound, field="inspection_id")
SUPERVISION_NOT_FOUND = Rule("supervision_not_found", "Không tìm thấy cuộc giám sát «{ident}»",
                             "Supervision '{ident}' not found", RECORD, NotFound, field="supervision_id")
INSPECTION_CONCLUDED = Rule("inspection_concluded", "Cuộc kiểm tra «{ident}» đã có kết luận ngày {day}",
                            "Inspection '{ident}' was concluded on {day}", RECORD, Conflict, field="inspection_id")
SUPERVISION_CONCLUDED = Rule("supervision_concluded", "Cuộc giám sát «{ident}» đã có kết luận ngày {day}",
                             "Supervision '{ident}' was concluded on {day}", RECORD, Conflict, field="supervision_id")
CONCLUDED_BEFORE_OPENED = Rule("concluded_before_opened", "Ngày kết luận {day} trước ngày mở {what_vi} {opened}",
                               "Conclusion {day} precedes the opening {opened}", RECORD, field="occurred_on")
VIOLATION_AFTER_CONCLUSION = Rule("violation_after_conclusion", "Vi phạm ngày {committed} sau ngày kết luận {day}",
                                  "Violation on {committed} is after the conclusion {day}", RECORD)
INSPECTION_OF_OTHER_SUBJECT = Rule("inspection_of_other_subject", "Cuộc kiểm tra «{ident}» không kiểm tra «{sid}»",
                                   "Inspection '{ident}' is not about '{sid}'", RECORD, field="inspection_id")

# -- discipline decisions ------------------------------------------------------------------------
CASE_NOT_FOUND = Rule("case_not_found", "Không tìm thấy vụ kỷ luật «{case_id}»",
                      "Discipline case '{case_id}' not found", RECORD, NotFound, field="case_id")
CASE_EXISTS = Rule("case_exists", "Vụ kỷ luật «{case_id}» đã có quyết định",
                   "Discipline case '{case_id}' already has a decision", RECORD, Conflict, field="case_id")
CASE_ANNULLED = Rule("case_annulled", "Quyết định kỷ luật «{case_id}» đã bị hủy ngày {day}",
                     "Decision '{case_id}' was annulled on {day}", RECORD, Conflict, field="case_id")
CASE_OF_OTHER_SUBJECT = Rule("case_of_other_subject", "Vụ kỷ luật «{case_id}» không phải của «{sid}»",
                             "Case '{case_id}' is not about '{sid}'", RECORD, field="subject_id")
VIOLATION_AFTER_DECISION = Rule("violation_after_decision", "Ngày vi phạm {violation} sau ngày quyết định {decided}",
                                "Violation date {violation} is after the decision date {decided}", RECORD)
ANNOUNCED_BEFORE_DECISION = Rule("announced_before_decision", "Ngày công bố {announced} trước ngày quyết định {decided}",
                                 "Announcement {announced} precedes the decision {decided}", RECORD,
                                 field="announced_on")
BEFORE_DECISION = Rule("before_decision", "{what_vi} {day} trước ngày quyết định {decided}",
                       "{what_en} {day} precedes the decision of {decided}", RECORD)
#: the period is the rule book's (``limitation_years_*``): its source is given with the values
TIME_BARRED = Rule("time_barred",
                   "Đã hết thời hiệu xử lý kỷ luật «{form_vi}» ({years} năm, {source}): vi phạm ngày {violation}, "
                   "thời hiệu đến hết ngày {last_day}, ngày quyết định {decided}",
                   "The {years}-year limitation for '{form}' has run out: violation on {violation}, "
                   "limit ended {last_day}, decision dated {decided}",
                   "QĐ 69 / QĐ 264 (2/2025), theo bộ quy tắc của ngày quyết định",
                   field="violation_on")

# -- appeals -------------------------------------------------------------------------------------
ALREADY_APPEALED = Rule("already_appealed", "Quyết định «{case_id}» đã bị khiếu nại ngày {day}",
                        "Decision '{case_id}' was already appealed on {day}", f"{CHARTER}, Điều 37", Conflict,
                        field="case_id")
APPEAL_BEFORE_RECEIPT = Rule("appeal_before_receipt", "Ngày khiếu nại {day} trước ngày nhận quyết định {received}",
                             "Appeal {day} precedes receipt of the decision {received}", RECORD, field="occurred_on")
APPEAL_LATE = Rule("appeal_late",
                   "Quá thời hạn khiếu nại ({months} tháng, {source}): nhận quyết định ngày {received}, "
                   "hạn đến hết ngày {last_day}, khiếu nại ngày {day}",
                   "Appeal too late ({months} month): decision received {received}, deadline {last_day}, "
                   "appeal lodged {day}", f"{CHARTER}, Điều 37", field="occurred_on")
NO_PENDING_APPEAL = Rule("no_pending_appeal", "Quyết định «{case_id}» không có khiếu nại đang chờ giải quyết",
                         "Decision '{case_id}' has no pending appeal", f"{CHARTER}, Điều 37", field="case_id")
RESOLVED_BEFORE_APPEAL = Rule("resolved_before_appeal", "Ngày giải quyết {day} trước ngày khiếu nại {appealed}",
                              "Resolution {day} precedes the appeal of {appealed}", RECORD, field="occurred_on")

ALL = tuple(v for v in list(globals().values()) if isinstance(v, Rule))
assert all(issubclass(r.error, DomainError) for r in ALL)
