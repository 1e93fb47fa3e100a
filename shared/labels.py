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
