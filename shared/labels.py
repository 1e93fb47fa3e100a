"""Vietnamese labels for the contracts' field names and coded values, for everything people read
(forms, pages, exports). Codes stay the API's; these are how a person sees them."""
from __future__ import annotations

FIELD_VI = {
    "occurred_on": "Ngày", "member_id": "Đảng viên", "org_unit_id": "Tổ chức đảng", "full_name": "Họ và tên",
    "birth_date": "Ngày sinh", "sex": "Giới tính", "demobilised": "Xuất ngũ", "card_number": "Số thẻ đảng viên",
    "background_file_number": "Số lý lịch", "citizen_id": "Số CCCD", "ethnicity": "Dân tộc", "religion": "Tôn giáo",
    "education": "Trình độ giáo dục phổ thông", "political_theory": "Lý luận chính trị", "occupation": "Nghề nghiệp",
    "special_age_decision": "Quyết định kết nạp quá tuổi", "candidate_id": "Hồ sơ quần chúng",
    "to_org_unit_id": "Chuyển đến tổ chức", "from_org_unit_id": "Từ tổ chức", "kind": "Loại",
    "until": "Đến ngày", "purpose": "Mục đích", "place": "Nơi đến", "contact": "Liên lạc",
    "expected_return": "Dự kiến trở về", "country": "Nước đến", "ground": "Lý do / căn cứ",
    "decided_by": "Cấp quyết định", "decided_on": "Ngày quyết định", "case_id": "Hồ sơ kỷ luật",
    "destination": "Nơi chuyển đến", "origin": "Nơi chuyển đi", "received_on": "Ngày nhận",
    "residence_org_unit_id": "Chi bộ nơi cư trú", "feedback": "Nhận xét", "task": "Nhiệm vụ",
    "due_on": "Hạn", "rating": "Xếp loại", "year": "Năm", "items": "Nội dung", "loan_id": "Khoản vay",
    "amount_vnd": "Số tiền (đồng)", "health_reason": "Lý do sức khỏe", "reason": "Lý do", "name": "Tên",
    "parent_id": "Cấp trên", "into_org_unit_id": "Hợp nhất vào", "meeting_id": "Mã buổi sinh hoạt",
    "duration_minutes": "Thời lượng (phút)", "attendance": "Điểm danh", "combined": "Sinh hoạt ghép",
    "content_summary": "Tóm tắt nội dung", "committee_member_attended": "Cấp ủy viên cấp trên dự",
    "chaired_by": "Người chủ trì", "month": "Tháng", "status": "Tình trạng", "reduction_pct": "Mức giảm (%)",
    "exemption_ground": "Căn cứ miễn đảng phí", "planned_on": "Ngày dự kiến", "agenda": "Chương trình",
    "attends_meetings": "Dự sinh hoạt chi bộ", "member_ids": "Các đảng viên", "admitted_on": "Ngày vào Đảng",
    "introduced_by_member_id": "Đảng viên giới thiệu", "introduced_by_organisation": "Tổ chức giới thiệu",
    "decision_no": "Số quyết định", "points": "Điểm", "grave_matter": "Vi phạm không áp dụng thời hiệu",
    "introducer_known_since": "Người giới thiệu biết quần chúng từ ngày",
    "education_level": "Trình độ học vấn",
}

VALUE_VI = {
    "sex": {"male": "Nam", "female": "Nữ"},
    "demobilised": {"none": "Không", "army": "Quân đội", "police": "Công an"},
    "purpose": {"work": "Công tác", "study": "Học tập", "merge": "Hợp nhất"},
    "ground": {"abandoned_activity": "Bỏ sinh hoạt đảng", "unpaid_dues": "Không đóng đảng phí",
               "card_returned": "Tự ý trả thẻ đảng viên", "no_progress": "Không tiến bộ, giảm sút ý chí",
               "standards_violated_two_years": "Hai năm liền vi phạm tư cách đảng viên",
               "political_standard": "Không đủ tiêu chuẩn chính trị", "failed_probation": "Không đủ tư cách dự bị",
               "old_age": "Tuổi cao", "illness": "Ốm đau", "treatment_far_away": "Điều trị dài ngày ở xa",
               "abroad_alone": "Ra nước ngoài một mình", "mobile_work": "Công tác lưu động",
               "awaiting_retirement": "Chờ nghỉ hưu", "maternity": "Thai sản"},
    "status": {"paid": "Đã đóng", "unpaid": "Chưa đóng", "exempt": "Được miễn", "reduced": "Được giảm",
               "present": "Có mặt", "excused": "Vắng có lý do", "unexcused": "Vắng không lý do",
               "probationary": "Dự bị", "official": "Chính thức"},
    "kind": {"regular": "Thường kỳ", "thematic": "Chuyên đề", "official": "Chính thức", "temporary": "Tạm thời",
             "province": "Tỉnh ủy", "direct": "Đảng bộ trực thuộc", "grassroots_committee": "Đảng bộ cơ sở",
             "grassroots_cell": "Chi bộ cơ sở", "branch": "Đảng bộ bộ phận", "cell": "Chi bộ"},
    "rating": {"excellent": "Hoàn thành xuất sắc nhiệm vụ", "good": "Hoàn thành tốt nhiệm vụ",
               "complete": "Hoàn thành nhiệm vụ", "not_complete": "Không hoàn thành nhiệm vụ"},
    "exemption_ground": {"party_age_50": "Tuổi đảng từ 50 năm", "social_pension": "Hưởng trợ cấp xã hội",
                         "poor_household": "Hộ nghèo", "serious_illness": "Ốm đau hiểm nghèo"},
    "form": {"reprimand": "Khiển trách", "warning": "Cảnh cáo", "dismissal": "Cách chức", "expulsion": "Khai trừ",
             "dissolution": "Giải tán"},
    "reason": {"administrative": "Sắp xếp tổ chức", "discipline": "Kỷ luật"},
    "grave_matter": {"internal_politics": "Vi phạm chính trị nội bộ",
                     "national_interest": "Vi phạm về quốc phòng, an ninh, đối ngoại xâm hại lợi ích quốc gia",
                     "illegal_diploma": "Sử dụng văn bằng, chứng chỉ, chứng nhận không hợp pháp"},
    "education_level": {"none": "Chưa tốt nghiệp tiểu học", "primary": "Tốt nghiệp tiểu học",
                        "lower_secondary": "Tốt nghiệp trung học cơ sở",
                        "upper_secondary": "Tốt nghiệp trung học phổ thông"},
}

#: excused-absence reasons the cell page offers (free text stays possible through the API)
ABSENCE_REASONS = ("Ốm đau", "Đi công tác", "Việc gia đình", "Đi làm ăn xa", "Học tập", "Lý do khác")


def value_vi(field: str, value: str) -> str:
    return VALUE_VI.get(field, {}).get(value) or next(
        (table[value] for table in VALUE_VI.values() if value in table), value)


# -- the dashboard: report columns and the codes reports carry ------------------------------------
#: column headers of the reports' tables (keys of their rows)
COLUMN_VI = {
    "org_unit_id": "Tổ chức đảng", "name": "Tổ chức đảng", "unit_name": "Tổ chức đảng", "unit": "Tổ chức đảng",
    "kind": "Loại hình", "own": "Sinh hoạt trực tiếp", "total": "Tổng số đảng viên", "indicator": "Chỉ số",
    "label_vi": "Nội dung", "value": "Số liệu", "previous": "Kỳ trước", "change_pct": "Tăng/giảm (%)",
    "actual": "Thực hiện", "target": "Chỉ tiêu", "met": "Kết quả", "member_id": "Đảng viên", "member": "Đảng viên",
    "list": "Danh sách", "level": "Mức độ", "since": "Từ ngày", "category": "Đối tượng", "year": "Năm",
    "count": "Số lượng", "held": "Số buổi đã họp", "expected": "Số buổi phải họp",
    "attendance_rate": "Tỷ lệ dự họp (%)", "sub_units": "Số tổ chức trực thuộc",
    "sub_units_disciplined": "Số tổ chức bị kỷ luật", "share_pct": "Tỷ lệ (%)",
    "not_complete": "Không hoàn thành nhiệm vụ", "removed": "Xóa tên", "resigned": "Xin ra khỏi Đảng",
    "expelled": "Khai trừ", "disciplined": "Bị kỷ luật", "regular_held": "Sinh hoạt thường kỳ đã họp",
    "regular_expected": "Thường kỳ phải họp", "thematic_held": "Chuyên đề đã họp",
    "thematic_expected": "Chuyên đề phải họp", "unexcused": "Lượt vắng không lý do",
    "meetings_meeting_standard": "Buổi đạt chuẩn (HD 12)", "meetings_too_short": "Buổi dưới thời lượng tối thiểu",
    "meetings_absent_in_a_row": "Đảng viên vắng liên tiếp",
    "committee_member_attended": "Buổi có cấp ủy viên cấp trên dự",
    "committee_member_recorded": "Buổi có ghi nhận cấp ủy viên dự",
    "leadership_disciplined": "Cấp ủy bị kỷ luật", "opening": "Đầu kỳ", "admitted": "Kết nạp",
    "transferred_in": "Chuyển đến (ngoài tỉnh)", "moved_in": "Chuyển đến (trong tỉnh)",
    "transferred_out": "Chuyển đi (ngoài tỉnh)", "moved_out": "Chuyển đi (trong tỉnh)", "died": "Từ trần",
    "closing": "Cuối kỳ", "reconciles": "Khớp số đầu kỳ – cuối kỳ", "anomaly": "Bất thường",
    "subject_id": "Đối tượng", "occurred_on": "Ngày", "limit": "Ngưỡng", "full_name": "Họ và tên",
    "status": "Tình trạng", "admitted_on": "Ngày vào Đảng", "birth_date": "Ngày sinh", "sex": "Giới tính",
    "parent": "Cấp trên", "key": "Nhóm", "group": "Phân loại", "years_since_admission": "Tuổi đảng (năm)",
    "depth": "Cấp", "active": "Đang sinh hoạt", "categories": "Đối tượng", "exemption": "Miễn sinh hoạt",
    "left_on": "Ngày ra khỏi Đảng", "left_how": "Hình thức ra khỏi Đảng",
    "personal_data_shredded": "Đã xóa dữ liệu cá nhân", "host_org_unit_id": "Chi bộ sinh hoạt tạm thời",
    "recorded_at": "Thời điểm ghi nhận", "actor": "Người ghi", "type": "Dữ kiện", "source": "Dịch vụ",
}

#: coded values of the reports, by the key they appear under
CODE_VI = {
    "level": {"warning": "Cảnh báo", "removal_ground": "Đủ căn cứ xóa tên", "overdue": "Quá hạn",
              "screening": "Cần rà soát"},
    "list": {"unexcused_absences": "Vắng sinh hoạt không lý do", "unpaid_dues": "Không đóng đảng phí",
             "recognition_overdue": "Quá hạn công nhận đảng viên chính thức",
             "exemption_overdue": "Hết hạn miễn sinh hoạt", "not_complete_twice": "Hai năm liền không hoàn thành nhiệm vụ",
             "transfer_papers_overdue": "Quá hạn nộp hồ sơ chuyển sinh hoạt",
             "remediation_overdue": "Quá hạn khắc phục sau kiểm điểm",
             "new_member_class_overdue": "Quá hạn học lớp đảng viên mới",
             "cell_below_minimum": "Chi bộ dưới 3 đảng viên chính thức",
             "working_away_overdue": "Đi làm ăn xa quá hạn trở về",
             "working_away_no_contact": "Đi làm ăn xa không liên lạc"},
    "anomaly": {"removal_unbacked": "Xóa tên chưa đủ căn cứ", "late_entry": "Nhập dữ kiện muộn",
                "past_limitation": "Quá thời hiệu kỷ luật"},
    "indicator": {"members_admitted": "Kết nạp đảng viên", "members_removed": "Đảng viên bị xóa tên",
                  "members_resigned": "Đảng viên xin ra khỏi Đảng", "members_expelled": "Đảng viên bị khai trừ",
                  "members_disciplined": "Đảng viên bị kỷ luật", "orgs_disciplined": "Tổ chức đảng bị kỷ luật"},
    "key": {"army": "Xuất ngũ quân đội", "police": "Xuất ngũ công an", "working_away": "Đi làm ăn xa",
            "young": "Đảng viên trẻ", "new_member": "Đảng viên mới", "other": "Khác", "unknown": "Chưa rõ",
            "<1": "Dưới 1 năm", "1-2": "1–2 năm", "3-5": "3–5 năm", "6-10": "6–10 năm", ">10": "Trên 10 năm"},
    "group": {"category": "Đối tượng đảng viên", "years_since_admission": "Tuổi đảng"},
    "status": {**VALUE_VI["status"], "left": "Đã ra khỏi Đảng", "candidate": "Quần chúng"},
    "kind": VALUE_VI["kind"],
    "role": {"viewer": "Xem báo cáo", "clerk": "Cán bộ nghiệp vụ", "inspector": "Kiểm tra",
             "administrator": "Quản trị"},
    "sex": VALUE_VI["sex"], "demobilised": VALUE_VI["demobilised"],
    "categories": {"demobilised_army": "Xuất ngũ quân đội", "demobilised_police": "Xuất ngũ công an",
                   "working_away": "Đi làm ăn xa", "abroad": "Ở nước ngoài", "exempt": "Miễn sinh hoạt",
                   "temporary": "Sinh hoạt tạm thời", "young": "Đảng viên trẻ"},
    "left_how": {"removed": "Xóa tên", "resigned": "Xin ra khỏi Đảng", "expelled": "Khai trừ", "died": "Từ trần",
                 "transferred_out": "Chuyển ra ngoài tỉnh"},
}


#: the heading of the integrity alert on every page of the dashboard (Vietnamese, English)
INTEGRITY_TITLE = ("Cảnh báo toàn vẹn dữ liệu", "Integrity warning")


def integrity_words(failing: list[str], unverified: list[str]) -> tuple[str, str]:
    """The integrity warning, Vietnamese and English, for the stores that fail verification and
    those that could not be verified: the one wording of the answers' ``integrity`` flag, hence of
    the exports' and documents' first line and of the dashboard's alert."""
    vi, en = [], []
    if failing:
        names = ", ".join(failing)
        vi.append(f"CẢNH BÁO: kho sự kiện {names} không qua kiểm tra toàn vẹn — số liệu có thể đã bị sửa")
        en.append(f"WARNING: event store {names} fails integrity verification — figures may have been tampered with")
    if unverified:
        names = ", ".join(unverified)
        vi.append(f"CẢNH BÁO: không kiểm tra được toàn vẹn kho sự kiện {names} (lỗi khi đọc kho) — số liệu chưa "
                  "được xác nhận")
        en.append(f"WARNING: the integrity of event store {names} could not be verified (error reading it) — "
                  "figures are not confirmed")
    return "; ".join(vi) + " (xem dangvien audit verify)", "; ".join(en) + " (see dangvien audit verify)"


def integrity_alert_words() -> dict:
    """The words of the dashboard's integrity alert: its heading, and the warning for each state the
    gateway's ``X-Dangvien-Integrity`` header names (``failed`` / ``unverified``), ``{stores}`` standing
    for the stores the header lists."""
    failed, unverified = integrity_words(["{stores}"], []), integrity_words([], ["{stores}"])
    return {"title_vi": INTEGRITY_TITLE[0], "title_en": INTEGRITY_TITLE[1],
            "failed": {"vi": failed[0], "en": failed[1]}, "unverified": {"vi": unverified[0], "en": unverified[1]}}


def dashboard_labels() -> dict:
    """Everything the dashboard translates, in one answer (``GET /labels.json``)."""
    return {"columns": {**{k: v for k, v in FIELD_VI.items()}, **COLUMN_VI}, "codes": CODE_VI,
            "values": VALUE_VI, "integrity": integrity_alert_words()}


#: the facts of a member's audit trail (event types), as a person reads them
EVENT_VI = {
    "attendance.warning_raised": "Cảnh báo sớm về sinh hoạt", "candidate.registered": "Giới thiệu quần chúng ưu tú",
    "candidate.awareness_class_completed": "Hoàn thành lớp nhận thức về Đảng",
    "candidate.background_verified": "Thẩm tra lý lịch đạt yêu cầu",
    "candidate.cell_resolution_passed": "Nghị quyết chi bộ đề nghị kết nạp",
    "candidate.admission_decided": "Quyết định kết nạp", "discipline.applied": "Thi hành kỷ luật",
    "discipline.appealed": "Khiếu nại kỷ luật", "discipline.upheld": "Giữ nguyên hình thức kỷ luật",
    "discipline.changed": "Thay đổi hình thức kỷ luật", "discipline.annulled": "Hủy bỏ quyết định kỷ luật",
    "dues.recorded": "Ghi nhận đảng phí tháng", "inspection.opened": "Mở cuộc kiểm tra",
    "inspection.concluded": "Kết luận kiểm tra", "supervision.opened": "Mở cuộc giám sát",
    "supervision.concluded": "Kết luận giám sát", "integrity.upgraded": "Nâng cấp niêm phong kho sự kiện",
    "meeting.scheduled": "Lên lịch sinh hoạt chi bộ", "meeting.held": "Sinh hoạt chi bộ",
    "meeting.missed": "Vắng sinh hoạt chi bộ", "member.admitted": "Kết nạp đảng viên",
    "member.card_reserved": "Giữ số thẻ đảng viên", "member.new_member_class_completed": "Hoàn thành lớp đảng viên mới",
    "member.recognized_official": "Công nhận đảng viên chính thức", "member.record_updated": "Cập nhật hồ sơ",
    "member.transferred": "Chuyển sinh hoạt đảng trong tỉnh", "member.transferred_in": "Tiếp nhận từ ngoài tỉnh",
    "member.transferred_out": "Chuyển sinh hoạt ra ngoài tỉnh", "member.transfer_papers_presented":
        "Xuất trình giấy giới thiệu sinh hoạt", "member.temporary_transfer_ended": "Kết thúc sinh hoạt tạm thời",
    "member.working_away_started": "Đi làm ăn xa", "member.working_away_ended": "Đi làm ăn xa trở về",
    "member.abroad_started": "Ra nước ngoài", "member.abroad_ended": "Về nước",
    "member.exempted": "Miễn công tác và sinh hoạt đảng", "member.exemption_ended": "Kết thúc miễn sinh hoạt",
    "member.liaison_introduced": "Giới thiệu sinh hoạt nơi cư trú",
    "member.liaison_feedback_recorded": "Nhận xét của nơi cư trú", "member.task_assigned": "Phân công nhiệm vụ",
    "member.commitment_made": "Cam kết tu dưỡng rèn luyện", "member.remediation_planned": "Kế hoạch khắc phục",
    "member.remediation_completed": "Hoàn thành khắc phục", "member.loan_granted": "Hỗ trợ vay vốn",
    "member.loan_repaid": "Hoàn trả vốn vay", "member.rated": "Xếp loại chất lượng đảng viên",
    "member.removed": "Xóa tên", "member.resigned": "Xin ra khỏi Đảng", "member.expelled": "Khai trừ",
    "member.died": "Từ trần", "member.personal_data_shredded": "Xóa dữ liệu cá nhân",
    "org_unit.created": "Thành lập tổ chức đảng", "org_unit.renamed": "Đổi tên tổ chức đảng",
    "org_unit.moved": "Chuyển tổ chức đảng sang cấp trên khác", "org_unit.merged": "Hợp nhất tổ chức đảng",
    "org_unit.dissolved": "Giải thể tổ chức đảng", "org_unit.cell_overseer_assigned": "Phân công cấp ủy viên phụ trách",
    "org_unit.dialogue_held": "Gặp mặt đảng viên", "target.registered": "Đăng ký chỉ tiêu",
}
CODE_VI["type"] = EVENT_VI
CODE_VI["source"] = {"members": "Đảng viên", "meetings": "Sinh hoạt", "discipline": "Kỷ luật",
                     "reporting": "Báo cáo"}
