"""The members service's refusals, by name: code, texts (Vietnamese first) and the source each
cites (the provisions are those of the rule book, ``shared/rules.py``). The domain modules raise
them; codes and texts are what clients and tests read, so they change only with a contract change.

Dates in the texts come formatted dd/mm/yyyy (``shared.dates.vn``) by the caller. Two refusals may
share a code when clients treat them alike (``not_probationary``, ``personal_data_shredded``).
"""
from __future__ import annotations

from shared.errors import Conflict, DomainError, NotFound, Rule

CHARTER = "Điều lệ Đảng"
QD24_294 = "QĐ 24-QĐ/TW (2021) / QĐ 294-QĐ/TW (2025)"
RATING = "QĐ 124-QĐ/TW / QĐ 366-QĐ/TW"
#: checks of the record itself (the thing named exists, dates in order): no provision to cite
RECORD = "tính nhất quán của hồ sơ / consistency of the record"
#: personal data protection (the vault shreds keys on request)
PRIVACY = "Nghị định 13/2023/NĐ-CP (bảo vệ dữ liệu cá nhân)"

# -- every command -------------------------------------------------------------------------------------
#: the same code as the discipline service's: clients treat both alike
DATE_IN_FUTURE = Rule("date_in_future", "Ngày {day} ở tương lai (hôm nay là {today}): chỉ ghi nhận việc đã xảy ra",
                      "Date {day} is in the future (today is {today}): only what has happened is recorded", RECORD,
                      field="occurred_on")

# -- the organisation tree -------------------------------------------------------------------------
ORG_UNIT_NOT_FOUND = Rule("org_unit_not_found", "Không tìm thấy tổ chức đảng «{org_unit_id}»",
                          "Party organisation '{org_unit_id}' not found", RECORD, NotFound)
ORG_UNIT_INACTIVE = Rule("org_unit_inactive", "Tổ chức đảng «{org_unit_id}» đã giải thể hoặc hợp nhất từ ngày {day}",
                         "Party organisation '{org_unit_id}' was dissolved or merged on {day}", RECORD)
ORG_UNIT_HOLDS_NO_MEMBERS = Rule("org_unit_holds_no_members",
                                 "{kind_vi} «{name}» không trực tiếp quản lý đảng viên; hãy chọn một chi bộ",
                                 "A '{kind}' does not hold members directly; choose a cell", f"{CHARTER}, Điều 21, 24")
PARENT_REQUIRED = Rule("parent_required", "{kind_vi} phải thuộc một tổ chức cấp trên",
                       "A unit of kind '{kind}' needs a parent", f"{CHARTER}, Điều 11", field="parent_id")
PARENT_INACTIVE = Rule("parent_inactive", "Tổ chức cấp trên «{parent_id}» đã giải thể hoặc hợp nhất",
                       "Parent '{parent_id}' was dissolved or merged", RECORD, field="parent_id")
PARENT_KIND_NOT_ALLOWED = Rule("parent_kind_not_allowed", "{kind_vi} không thể trực thuộc {parent_kind_vi}",
                               "A unit of kind '{kind}' cannot sit under a '{parent_kind}'", f"{CHARTER}, Điều 11",
                               field="parent_id")
ORG_UNIT_EXISTS = Rule("org_unit_exists", "Tổ chức đảng «{org_unit_id}» đã tồn tại",
                       "Party organisation '{org_unit_id}' already exists", RECORD, Conflict, field="org_unit_id")
MOVE_INTO_OWN_SUBTREE = Rule("move_into_own_subtree", "Không thể chuyển «{name}» vào trong chính tổ chức cấp dưới của nó",
                             "A unit cannot move under its own subtree", RECORD, field="parent_id")
ORG_UNIT_HAS_SUB_UNITS = Rule("org_unit_has_sub_units",
                              "Không thể {verb_vi} «{name}» khi còn {count} tổ chức trực thuộc; "
                              "hãy chuyển hoặc hợp nhất các tổ chức này trước",
                              "Cannot {verb_en} '{org_unit_id}' while it has {count} sub-units; move or merge them first",
                              RECORD, field="org_unit_id")
MERGE_INTO_ITSELF = Rule("merge_into_itself", "Không thể hợp nhất một tổ chức vào chính nó",
                         "A unit cannot merge into itself", RECORD, field="into_org_unit_id")
SUCCESSOR_HOLDS_NO_MEMBERS = Rule("successor_holds_no_members",
                                  "«{successor}» không trực tiếp quản lý đảng viên nên không thể nhận {count} đảng viên "
                                  "của «{name}»",
                                  "'{into_org_unit_id}' holds no members, so it cannot take the {count} members of "
                                  "'{org_unit_id}'", f"{CHARTER}, Điều 21", field="into_org_unit_id")
ORG_UNIT_HAS_MEMBERS = Rule("org_unit_has_members",
                            "Không thể giải thể «{name}» khi còn {count} đảng viên; hãy chuyển sinh hoạt cho họ trước",
                            "Cannot dissolve '{org_unit_id}' while it holds {count} members; transfer them first",
                            RECORD, field="org_unit_id")
NO_GRASSROOTS = Rule("no_grassroots", "Không xác định được tổ chức cơ sở của «{org_unit_id}»",
                     "No grassroots organisation above '{org_unit_id}'", RECORD, field="member_id")
RATING_BEFORE_YEAR = Rule("rating_before_year", "Chưa thể xếp loại chất lượng năm {year} trước khi năm đó bắt đầu",
                         "The quality rating for {year} cannot be made before that year begins", RECORD,
                         field="year")
WRONG_YEAR = Rule("wrong_year", "Cuộc gặp mặt năm {year} phải diễn ra trong năm đó",
                  "The {year} meeting must take place in that year", RECORD, field="year")

# -- members: who they are ---------------------------------------------------------------------------
MEMBER_NOT_FOUND = Rule("member_not_found", "Không tìm thấy đảng viên «{member_id}»", "Member '{member_id}' not found",
                        RECORD, NotFound, field="member_id")
MEMBER_NOT_ACTIVE = Rule("member_not_active", "Đảng viên «{member_id}» {how_vi} ngày {day}",
                         "Member '{member_id}' {how_en} on {day}", RECORD, field="member_id")
BEFORE_JOINING = Rule("before_joining", "Ngày {day} trước ngày đảng viên «{member_id}» được kết nạp hoặc chuyển đến "
                      "({since}): khi đó đảng viên chưa có trong danh sách",
                      "Date {day} is before member '{member_id}' was admitted or transferred in ({since}): not on the "
                      "rolls then", RECORD, field="occurred_on")
EXIT_BEFORE_LATEST_FACT = Rule("exit_before_latest_fact",
                               "Ngày {day} (occurred_on) trước ngày {latest} của sự kiện đã ghi trong hồ sơ đảng "
                               "viên «{member_id}»: đảng viên không thể ra khỏi danh sách trước một sự kiện đã có",
                               "Date {day} (occurred_on) is before {latest}, the date of a fact already on member "
                               "'{member_id}''s record: the member cannot have left the rolls before it", RECORD,
                               field="occurred_on")
MEMBER_EXISTS = Rule("member_exists", "Đảng viên «{member_id}» đã có trong danh sách",
                     "Member '{member_id}' already exists", RECORD, Conflict, field="member_id")
CARD_NUMBER_TAKEN = Rule("card_number_taken", "Số thẻ đảng viên này đã cấp cho một đảng viên khác",
                         "This card number already belongs to another member", RECORD, Conflict, field="card_number")
PERSON_SHREDDED = Rule("personal_data_shredded", "Dữ liệu cá nhân của người này đã bị xóa theo yêu cầu",
                       "This person's personal data was shredded", PRIVACY, field="member_id")
MEMBER_SHREDDED = Rule("personal_data_shredded", "Dữ liệu cá nhân của đảng viên này đã bị xóa theo yêu cầu",
                       "This member's personal data was shredded", PRIVACY, field="member_id")

# -- admission -----------------------------------------------------------------------------------------
TOO_YOUNG = Rule("too_young", "Người được kết nạp phải đủ 18 tuổi vào ngày {day} (khi đó {years} tuổi {months} tháng)",
                 "A new member must be at least 18 on {day} (was {years} years {months} months)",
                 f"{CHARTER}, Điều 1", field="birth_date")
TOO_OLD = Rule("too_old", "Người trên 60 tuổi ({years} tuổi {months} tháng vào ngày {day}) chỉ được kết nạp khi có "
               "quyết định đặc biệt của cấp có thẩm quyền ({source})",
               "Admission over 60 ({years} years {months} months on {day}) needs a special decision",
               QD24_294, field="special_age_decision")
CANDIDATE_NOT_FOUND = Rule("candidate_not_found", "Không tìm thấy hồ sơ quần chúng «{candidate_id}»",
                           "Candidate '{candidate_id}' not found", RECORD, NotFound, field="candidate_id")
CANDIDATE_EXISTS = Rule("candidate_exists", "Hồ sơ quần chúng «{candidate_id}» đã có",
                        "Candidate '{candidate_id}' already exists", RECORD, Conflict, field="candidate_id")
INTRODUCER_REQUIRED = Rule("introducer_required", "Quần chúng phải được một đảng viên chính thức hoặc một tổ chức đoàn "
                           "thể giới thiệu", "A candidate must be introduced by an official member or a mass "
                           "organisation", f"{CHARTER}, Điều 4", field="introduced_by_member_id")
INTRODUCER_NOT_OFFICIAL = Rule("introducer_not_official", "Người giới thiệu «{member_id}» phải là đảng viên chính thức",
                               "Introducer '{member_id}' must be an official member", f"{CHARTER}, Điều 4",
                               field="introduced_by_member_id")
INTRODUCER_KNOWN_SINCE_REQUIRED = Rule(
    "introducer_known_since_required",
    "Phải ghi ngày đảng viên giới thiệu bắt đầu biết quần chúng (cần ít nhất {months} tháng)",
    "Give the date since which the introducing member has known the candidate (at least {months} months "
    "are needed)", f"{CHARTER}, Điều 4", field="introducer_known_since")
INTRODUCER_KNOWN_TOO_SHORT = Rule(
    "introducer_known_too_short",
    "Đảng viên giới thiệu phải biết quần chúng ít nhất {months} tháng (Điều lệ Đảng, Điều 4): biết từ {since}, "
    "sớm nhất được giới thiệu ngày {earliest}",
    "The introducing member must have known the candidate for at least {months} months: known since {since}, "
    "so not before {earliest}", f"{CHARTER}, Điều 4", field="introducer_known_since")
EDUCATION_TOO_LOW = Rule(
    "education_too_low", "Người vào Đảng phải tốt nghiệp trung học cơ sở trở lên ({source}); {recorded_vi} vào ngày {day}",
    "A new member needs lower-secondary education or higher; recorded: {recorded_en} on {day}", QD24_294,
    field="education_level")
CANDIDATE_ALREADY_DECIDED = Rule("candidate_already_decided", "Đã có quyết định kết nạp ngày {day}",
                                 "Admission was already decided on {day}", RECORD, Conflict, field="candidate_id")
AWARENESS_CLASS_MISSING = Rule("awareness_class_missing", "Quần chúng chưa hoàn thành lớp bồi dưỡng nhận thức về Đảng",
                               "The candidate has not completed the awareness class", f"{CHARTER}, Điều 4",
                               field="candidate_id")
BACKGROUND_NOT_VERIFIED = Rule("background_not_verified", "Lý lịch của quần chúng chưa được thẩm tra",
                               "The candidate's background is not verified yet", QD24_294, field="candidate_id")
CELL_RESOLUTION_MISSING = Rule("cell_resolution_missing", "Chưa có nghị quyết của chi bộ đề nghị kết nạp",
                               "There is no cell resolution to admit yet", f"{CHARTER}, Điều 4", field="candidate_id")
ADMISSION_DECISION_TOO_LATE = Rule(
    "admission_decision_too_late",
    "Quyết định kết nạp phải ban hành trong {days} ngày làm việc (gia hạn tối đa {extension}) kể từ nghị quyết "
    "chi bộ ngày {resolution}, tức chậm nhất {latest}",
    "The admission decision was due within {days} (+{extension}) working days of the cell resolution of "
    "{resolution}, i.e. by {latest}", QD24_294, field="occurred_on")
ADMISSION_NOT_DECIDED = Rule("admission_not_decided",
                             "Chưa có quyết định kết nạp quần chúng «{candidate_id}» với mã đảng viên «{member_id}»",
                             "No admission decision for candidate '{candidate_id}' as member '{member_id}'", RECORD,
                             field="candidate_id")
RESOLUTION_BEFORE_STEPS = Rule(
    "resolution_before_steps",
    "Nghị quyết chi bộ không thể trước lớp nhận thức về Đảng và thẩm tra lý lịch (xong ngày {day})",
    "The cell resolution cannot precede the awareness class and the background verification (done on {day})",
    RECORD, field="occurred_on")
ADMISSION_DECISION_BEFORE_RESOLUTION = Rule(
    "admission_decision_before_resolution",
    "Quyết định kết nạp không thể trước nghị quyết chi bộ ngày {resolution}",
    "The admission decision cannot precede the cell resolution of {resolution}", RECORD, field="occurred_on")
ADMITTED_BEFORE_DECISION = Rule("admitted_before_decision", "Lễ kết nạp không thể trước quyết định kết nạp ngày {day}",
                                "The admission cannot precede the decision of {day}", RECORD, field="occurred_on")
READMISSION_NOT_ALLOWED = Rule("readmission_not_allowed",
                               "Không được kết nạp lại: đảng viên đã bỏ sinh hoạt, xin ra khỏi Đảng hoặc đã được kết "
                               "nạp lại một lần", "Re-admission is not allowed: the member abandoned activity, "
                               "resigned, or was already re-admitted once", QD24_294, field="member_id")
TRANSFER_IN_AFTER_EXIT = Rule("transfer_in_not_allowed",
                              "Đảng viên «{member_id}» {how_vi} ngày {day}, không phải chuyển sinh hoạt ra ngoài "
                              "tỉnh: không tiếp nhận chuyển đến được; nếu đủ điều kiện, hãy xét kết nạp lại",
                              "Member '{member_id}' {how_en} on {day}, not transferred out of the province: they "
                              "cannot be transferred in; if eligible, consider re-admission", QD24_294, field="member_id")
READMISSION_TOO_SOON = Rule("readmission_too_soon",
                            "Chỉ được kết nạp lại sau {months} tháng kể từ ngày ra khỏi Đảng ({left}), tức từ ngày "
                            "{earliest}", "Re-admission only {months} months after leaving ({left}), i.e. from "
                            "{earliest}", QD24_294, field="occurred_on")

# -- probation -------------------------------------------------------------------------------------------
NOT_PROBATIONARY = Rule("not_probationary", "Đảng viên «{member_id}» không phải đảng viên dự bị",
                        "Member '{member_id}' is not a probationary member", f"{CHARTER}, Điều 5", Conflict,
                        field="member_id")
PROBATION_NOT_OVER = Rule("probation_not_over",
                          "Chưa hết {months} tháng dự bị (mới {served} tháng, kết nạp ngày {admitted}); chỉ xét công "
                          "nhận chính thức từ ngày {end}", "Probation of {months} months is not over (only {served} "
                          "months since {admitted}); recognition is possible from {end}", f"{CHARTER}, Điều 5",
                          field="occurred_on")

# -- movement ------------------------------------------------------------------------------------------
WRONG_FROM_UNIT = Rule("wrong_from_unit", "Đảng viên đang sinh hoạt tại «{current}», không phải «{given}»",
                       "The member is in '{current}', not '{given}'", RECORD, field="from_org_unit_id")
SAME_UNIT = Rule("same_unit", "Đảng viên đã sinh hoạt tại chi bộ này", "The member is already in this unit", RECORD,
                 field="to_org_unit_id")
ALREADY_TEMPORARY = Rule("already_temporary", "Đảng viên đang sinh hoạt tạm thời nơi khác",
                         "The member is already on a temporary transfer", QD24_294, Conflict, field="member_id")
UNTIL_REQUIRED = Rule("until_required", "Sinh hoạt tạm thời phải có thời hạn", "A temporary transfer needs an end date",
                      QD24_294, field="until")
TEMPORARY_TRANSFER_LENGTH = Rule("temporary_transfer_length",
                                 "Thời hạn sinh hoạt tạm thời phải từ {min} tháng {upto_vi} (đến {until} là {months} "
                                 "tháng)", "A temporary transfer lasts {min} months {upto_en} (until {until} is "
                                 "{months} months)", QD24_294, field="until")
PAPERS_DUE_ELSEWHERE = Rule("papers_due_elsewhere",
                            "Giấy giới thiệu sinh hoạt đảng của đảng viên phải nộp tại «{due}», không phải «{given}»",
                            "The member's transfer papers are due at '{due}', not '{given}'", QD24_294,
                            field="org_unit_id")
NOT_TEMPORARY = Rule("not_temporary", "Đảng viên không sinh hoạt tạm thời", "The member is not on a temporary transfer",
                     RECORD, field="member_id")
ALREADY_WORKING_AWAY = Rule("already_working_away", "Đảng viên đang đi làm ăn xa", "The member is already working away",
                            RECORD, Conflict, field="member_id")
ALREADY_ABROAD = Rule("already_abroad", "Đảng viên đang ở nước ngoài (chưa ghi nhận trở về)",
                      "The member is already abroad (no return recorded)", QD24_294, Conflict, field="member_id")
ABROAD_NEEDS_TRANSFER = Rule("abroad_needs_transfer",
                             "Ra nước ngoài từ {months} tháng trở lên phải chuyển sinh hoạt đảng ra nước ngoài",
                             "Going abroad for {months} months or more requires a transfer abroad", QD24_294,
                             field="expected_return")

ENDED_BEFORE_START = Rule("ended_before_start",
                         "Ngày {end_vi} ({day}) không thể trước ngày {start_vi} ({start})",
                         "The {end_en} ({day}) cannot precede the {start_en} ({start})", RECORD,
                         field="occurred_on")
LIAISON_NOT_INTRODUCED = Rule("liaison_not_introduced",
                              "Đảng viên chưa được giới thiệu về chi bộ nơi cư trú (QĐ 213-QĐ/TW) nên chưa có nhận "
                              "xét của nơi cư trú",
                              "The member was not introduced to a residence cell (QĐ 213-QĐ/TW), so there is no "
                              "residence feedback to record", "QĐ 213-QĐ/TW", field="member_id")
LIAISON_FEEDBACK_YEAR = Rule("liaison_feedback_year",
                             "Nhận xét của nơi cư trú cho năm {year} phải thuộc khoảng từ năm được giới thiệu về nơi "
                             "cư trú ({since}) đến năm ghi nhận ({latest})",
                             "The residence feedback for {year} must fall between the year of the introduction "
                             "({since}) and the year it is recorded ({latest})", "QĐ 213-QĐ/TW", field="year")
LIAISON_NOT_GRASSROOTS = Rule("liaison_not_grassroots",
                              "{kind_vi} «{name}» không phải tổ chức đảng nơi cư trú: hãy giới thiệu đảng viên về chi bộ "
                              "hoặc đảng ủy cơ sở nơi đảng viên cư trú",
                              "A '{kind}' is not a residence party organisation: introduce the member to the cell "
                              "or the grassroots committee where they live", "QĐ 213-QĐ/TW",
                              field="residence_org_unit_id")
LIAISON_OWN_UNIT = Rule("liaison_own_unit",
                        "Đảng viên đang sinh hoạt chính thức tại «{org_unit_id}»: không giới thiệu về chính chi bộ "
                        "này như nơi cư trú",
                        "The member's own unit is '{org_unit_id}': it cannot also be the residence cell they are "
                        "introduced to", "QĐ 213-QĐ/TW", field="residence_org_unit_id")

# -- status ------------------------------------------------------------------------------------------------
EXEMPTION_TOO_LONG = Rule("exemption_too_long",
                          "Miễn sinh hoạt vì lý do «{ground}» tối đa {max} tháng (chậm nhất đến {latest}); đề nghị "
                          "{length}", "An exemption on the ground '{ground}' lasts at most {max} months (until "
                          "{latest} at the latest)", QD24_294, field="until")
UNTIL_BEFORE_START = Rule("until_before_start", "Ngày kết thúc phải sau ngày bắt đầu", "The end must follow the start",
                          RECORD, field="until")
RETURN_BEFORE_START = Rule("return_before_start", "Ngày dự kiến trở về phải sau ngày đi ({start})",
                          "The expected return must follow the day of leaving ({start})", RECORD,
                          field="expected_return")
DUE_BEFORE_PLAN = Rule("due_before_plan", "Hạn khắc phục phải sau ngày lập kế hoạch",
                       "The remediation due date must follow the plan", RECORD, field="due_on")
LOAN_NOT_FOUND = Rule("loan_not_found", "Không có khoản vay «{loan_id}» đang mở", "No open loan '{loan_id}'", RECORD,
                      field="loan_id")

# -- exits --------------------------------------------------------------------------------------------------
REMOVAL_NEEDS_PROBATIONARY = Rule("not_probationary",
                                  "Chỉ xóa tên vì không đủ tư cách dự bị đối với đảng viên dự bị",
                                  "Removal for failed probation applies to probationary members only",
                                  f"{CHARTER}, Điều 5", field="ground")
DISCIPLINE_CASE_OPEN = Rule("discipline_case_open",
                            "Không giải quyết cho ra khỏi Đảng khi đảng viên đang bị xem xét kỷ luật; phải xử lý kỷ "
                            "luật trước", "Resignation is refused while a discipline case is open against the member",
                            "Điều lệ Đảng; HD 01-HD/TW", field="member_id")
EXPULSION_NOT_FOUND = Rule("case_not_found", "Không có quyết định kỷ luật «{case_id}» đang có hiệu lực",
                           "No discipline decision '{case_id}' in force", RECORD, NotFound, field="case_id")
CASE_NOT_ABOUT_MEMBER = Rule("case_not_about_member", "Vụ kỷ luật «{case_id}» không phải của đảng viên «{member_id}»",
                             "Case '{case_id}' does not concern member '{member_id}'", RECORD, field="case_id")
CASE_NOT_EXPULSION = Rule("case_not_expulsion", "Quyết định kỷ luật «{case_id}» không phải hình thức khai trừ",
                          "Decision '{case_id}' is not an expulsion", f"{CHARTER}, Điều 36", field="case_id")

# -- yearly rating -------------------------------------------------------------------------------------------
EXEMPT_NOT_RATED = Rule("exempt_not_rated", "Đảng viên được miễn công tác và sinh hoạt đảng không xếp loại chất lượng",
                        "Exempt members are not rated", RATING, field="member_id")
ADMITTED_TOO_RECENTLY = Rule("admitted_too_recently",
                             "Đảng viên kết nạp ngày {admitted}, chưa đủ {months} tháng trong năm {year} nên không xếp "
                             "loại", "Admitted on {admitted}: fewer than {months} months in {year}, so not rated",
                             RATING, field="member_id")
POINTS_REQUIRED = Rule("points_required", "Từ ngày 01/09/2025 xếp loại theo thang 100 điểm ({source}); hãy nhập số điểm",
                       "Since 01/09/2025 ratings use the 100-point scale; give the points", "QĐ 366-QĐ/TW",
                       field="points")
RATING_POINTS_MISMATCH = Rule("rating_points_mismatch", "{points} điểm tương ứng mức «{derived_vi}», không phải "
                              "«{rating_vi}»", "{points} points mean '{derived}', not '{rating}'", "QĐ 366-QĐ/TW",
                              field="rating")
RATING_REQUIRED = Rule("rating_required", "Hãy chọn mức xếp loại", "Give the rating level", RATING, field="rating")
DISCIPLINED_CAPPED = Rule("disciplined_capped", "Đảng viên bị kỷ luật trong năm {year} chỉ được xếp loại «{capped_vi}»",
                          "A member disciplined in {year} is rated 'not_complete' at most", RATING, field="rating")
ALREADY_RATED = Rule("already_rated", "Đảng viên đã được xếp loại năm {year}", "The member was already rated for {year}",
                     RECORD, Conflict, field="year")
EXCELLENT_QUOTA_EXCEEDED = Rule("excellent_quota_exceeded",
                                "Số đảng viên hoàn thành xuất sắc nhiệm vụ không vượt quá {quota} số hoàn thành tốt "
                                "nhiệm vụ của tổ chức cơ sở «{grassroots_id}» (tối đa {allowed} trên {good})",
                                "'Excellent' may not exceed {quota} of those rated good in grassroots organisation "
                                "'{grassroots_id}' (at most {allowed} of {good})", RATING, field="rating")

ALL = tuple(v for v in list(globals().values()) if isinstance(v, Rule))
assert all(issubclass(r.error, DomainError) for r in ALL)
