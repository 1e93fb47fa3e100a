"""The reporting service's refusals, by name: code, texts (Vietnamese first) and the source each
cites. Codes and texts are what clients and tests read, so they change only with a contract change."""
from __future__ import annotations

from shared.errors import Conflict, DomainError, NotFound, Rule

#: checks of the request itself (the unit exists, the period makes sense): no provision to cite
RECORD = "tính nhất quán của yêu cầu / consistency of the request"
TERMS_SOURCE = "nhiệm kỳ đại hội đã cấu hình (shared/rules.py TERMS) / the configured congress terms"

ORG_UNIT_NOT_FOUND = Rule("org_unit_not_found", "Không tìm thấy tổ chức đảng «{org_unit_id}»",
                          "Party organisation '{org_unit_id}' not found", RECORD, NotFound, field="org_unit_id")
UNKNOWN_PERIOD = Rule("unknown_period",
                      "Kỳ báo cáo «{value}» không hợp lệ: dùng năm (2021) hoặc nhiệm kỳ đã cấu hình ({terms})",
                      "Unknown period '{value}': use a year (2021) or a configured term ({terms})", TERMS_SOURCE)
PERIOD_REVERSED = Rule("period_reversed", "Ngày kết thúc {end_vi} đứng trước ngày bắt đầu {start_vi}",
                       "End date {end} is before start date {start}", RECORD, field="to")
NO_PREVIOUS_PERIOD = Rule("no_previous_period", "Không có kỳ so sánh trước {start_vi}",
                          "No comparison period before {start}", RECORD, field="compare")
NO_TERM_FOR_YEAR = Rule("no_term_for_year", "Năm {year} không thuộc nhiệm kỳ nào đã cấu hình ({terms})",
                        "Year {year} is in no configured term ({terms})", TERMS_SOURCE, field="year")
REPLAY_RUNNING = Rule("replay_running", "Đang dựng lại số liệu, hãy chờ lượt hiện tại xong",
                      "A replay is already running", RECORD, Conflict)

ALL = tuple(v for v in list(globals().values()) if isinstance(v, Rule))
assert all(issubclass(r.error, DomainError) for r in ALL)
