"""The meetings service's refusals, by name: code, texts (Vietnamese first) and the source each
cites. The domain modules raise them; codes and texts are what clients and tests read.

Dates and months in the texts come formatted (dd/mm/yyyy, mm/yyyy) by the caller.
"""
from __future__ import annotations

from shared.errors import Conflict, DomainError, NotFound, Rule

MEETINGS = "HD 12-HD/BTCTW (2018) / HD 42-HD/BTCTW (2025)"
DUES = "QĐ 342-QĐ/TW / QĐ 01-QĐ/TW (2026)"
#: checks of the record itself (the thing named exists, dates in order): no provision to cite
RECORD = "tính nhất quán của hồ sơ / consistency of the record"

# -- cells and meetings ----------------------------------------------------------------------------
ORG_UNIT_NOT_FOUND = Rule("org_unit_not_found", "Không tìm thấy tổ chức đảng «{org_unit_id}»",
                          "Party organisation '{org_unit_id}' not found", RECORD, NotFound, field="org_unit_id")
NOT_A_CELL = Rule("not_a_cell", "«{org_unit_id}» không phải là chi bộ; chỉ chi bộ tổ chức sinh hoạt chi bộ",
                  "'{org_unit_id}' is not a cell; only cells hold cell meetings", MEETINGS, field="org_unit_id")
CELL_INACTIVE = Rule("org_unit_inactive",
                     "Chi bộ «{org_unit_id}» không hoạt động vào ngày {day} (chưa thành lập, đã hợp nhất hoặc giải thể)",
                     "Cell '{org_unit_id}' is not active on {day} (not yet created, merged or dissolved)", RECORD,
                     field="org_unit_id")
MEETING_NOT_FOUND = Rule("meeting_not_found", "Không tìm thấy buổi sinh hoạt «{meeting_id}»",
                         "Meeting '{meeting_id}' not found", RECORD, NotFound, field="meeting_id")
MEETING_EXISTS = Rule("meeting_exists", "Buổi sinh hoạt «{meeting_id}» đã có", "Meeting '{meeting_id}' already exists",
                      RECORD, Conflict, field="meeting_id")
PLANNED_BEFORE_SCHEDULING = Rule("planned_before_scheduling", "Ngày họp {planned} trước ngày lên lịch {scheduled}",
                                 "Meeting day {planned} is before the scheduling day {scheduled}", RECORD,
                                 field="planned_on")
MEETING_IN_FUTURE = Rule("meeting_in_future", "Ngày họp {day} ở sau ngày hôm nay ({today})",
                         "The meeting date {day} is after today ({today})", RECORD, field="occurred_on")
DATE_IN_FUTURE = Rule("date_in_future", "Ngày {day} ở sau ngày hôm nay ({today}): chỉ ghi nhận việc đã xảy ra",
                      "Date {day} is after today ({today}): only what has happened is recorded", RECORD,
                      field="occurred_on")
MEETING_ALREADY_RECORDED = Rule("meeting_already_recorded", "Buổi sinh hoạt «{meeting_id}» đã được ghi nhận ngày {day}",
                                "Meeting '{meeting_id}' was already recorded on {day}", RECORD, Conflict,
                                field="meeting_id")
MEETING_SCHEDULE_MISMATCH = Rule("meeting_schedule_mismatch",
                                 "Buổi sinh hoạt «{meeting_id}» đã lên lịch là {kind_vi} của chi bộ «{org_unit_id}»",
                                 "Meeting '{meeting_id}' was scheduled as a {kind} meeting of '{org_unit_id}'", RECORD,
                                 field="meeting_id")
CHAIR_NOT_PRESENT = Rule("chair_not_present", "Người chủ trì «{chair}» không có mặt trong buổi họp",
                         "The chair '{chair}' is not marked present at the meeting", MEETINGS, field="chaired_by")

# -- attendance ----------------------------------------------------------------------------------------
ATTENDANCE_DUPLICATE = Rule("attendance_duplicate", "Đảng viên «{member_id}» được điểm danh hai lần",
                            "Member '{member_id}' appears twice in the attendance", RECORD)
NOT_ON_ROSTER = Rule("not_on_roster", "Đảng viên «{member_id}» không sinh hoạt tại chi bộ «{org_unit_id}» vào ngày {day}",
                     "Member '{member_id}' is not on the roster of cell '{org_unit_id}' on {day}", RECORD)
MEMBER_EXEMPT = Rule("member_exempt",
                     "Đảng viên «{member_id}» đang được miễn sinh hoạt vào ngày {day}; không điểm danh người được miễn",
                     "Member '{member_id}' is exempt from meetings on {day}; exempt members are not on the attendance",
                     "QĐ 24-QĐ/TW / QĐ 294-QĐ/TW (miễn sinh hoạt)")
REASON_REQUIRED = Rule("reason_required",
                       "Vắng có lý do phải ghi lý do được chi bộ chấp nhận (đảng viên «{member_id}»)",
                       "An excused absence needs the reason the cell accepted (member '{member_id}')",
                       "Điều lệ Đảng, Điều 8")
ATTENDANCE_MISSING = Rule("attendance_missing", "Thiếu điểm danh {count} đảng viên sinh hoạt tại chi bộ: {missing}",
                          "Attendance missing for {count} expected member(s): {missing}", MEETINGS, field="attendance")
NO_EXPECTED_MEMBERS = Rule("no_expected_members", "Chi bộ «{org_unit_id}» không có đảng viên sinh hoạt vào ngày {day}",
                           "Cell '{org_unit_id}' has no expected members on {day}", RECORD, field="org_unit_id")

# -- dues ------------------------------------------------------------------------------------------------
MEMBER_NOT_FOUND = Rule("member_not_found", "Không tìm thấy đảng viên «{member_id}»", "Member '{member_id}' not found",
                        RECORD, NotFound, field="member_id")
NOT_ON_ROSTER_IN_MONTH = Rule("not_on_roster_in_month",
                              "Đảng viên «{member_id}» không sinh hoạt tại chi bộ nào trong tháng {month}",
                              "Member '{member_id}' belonged to no cell in {month}", RECORD, field="month")
DUES_MONTH_IN_FUTURE = Rule("dues_month_in_future", "Tháng {month} chưa đến (hôm nay {today}); chỉ ghi nhận đóng trước",
                            "{month} has not come yet (today {today}); only advance payment can be recorded", DUES,
                            field="month")
REDUCTION_RATE_INVALID = Rule("reduction_rate_invalid", "Mức giảm đảng phí phải là một trong: {rates}",
                              "The dues reduction must be one of: {rates}", DUES, field="reduction_pct")
REDUCTION_WITHOUT_REDUCED = Rule("reduction_without_reduced", "Chỉ ghi mức giảm khi trạng thái là «giảm»",
                                 "A reduction rate is only given with status 'reduced'", RECORD, field="reduction_pct")
EXEMPTION_GROUND_REQUIRED = Rule("exemption_ground_required", "Miễn đảng phí phải ghi căn cứ: {grounds_vi}",
                                 "An exemption from dues needs its ground: {grounds}", DUES, field="exemption_ground")
PARTY_AGE_TOO_LOW = Rule("party_age_too_low",
                         "Tuổi đảng {age} năm (kết nạp {admitted}) chưa đủ {years} năm để được miễn đảng phí",
                         "Party age {age} years (admitted {admitted}) is under the {years} years that exempt from dues",
                         DUES, field="exemption_ground")
GROUND_WITHOUT_EXEMPT = Rule("ground_without_exempt", "Chỉ ghi căn cứ miễn khi trạng thái là «miễn»",
                             "An exemption ground is only given with status 'exempt'", RECORD, field="exemption_ground")
REDUCTION_TOO_LONG = Rule("reduction_too_long", "Giảm đảng phí quá {months} tháng liên tục (tháng {month})",
                          "Dues reduced for more than {months} months in a row ({month})", DUES, field="month")

# -- import ------------------------------------------------------------------------------------------------
DERIVED_EVENT = Rule("derived_event", "«{type}» được ghi tự động từ dòng meeting.held / dues.recorded; hãy nhập các dòng đó",
                     "'{type}' is derived from meeting.held / dues.recorded lines; import those instead", RECORD,
                     field="type")

ALL = tuple(v for v in list(globals().values()) if isinstance(v, Rule))
assert all(issubclass(r.error, DomainError) for r in ALL)

# -- personal data -------------------------------------------------------------------------------
PERSON_SHREDDED = Rule("personal_data_shredded",
                       "Dữ liệu cá nhân của đảng viên «{member_id}» đã bị xóa theo yêu cầu; không ghi được lý do vắng",
                       "The personal data of member '{member_id}' was erased on request; an absence reason cannot "
                       "be recorded for them", "Nghị định 13/2023/NĐ-CP (bảo vệ dữ liệu cá nhân)",
                       field="attendance")
