"""Every code the dashboard shows has a Vietnamese label: event types of the catalog, warning lists
and levels the reporting service emits."""
from __future__ import annotations

import re
from pathlib import Path

from shared.events import catalog
from shared.labels import CODE_VI, EVENT_VI

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_type_of_the_catalog_has_a_vietnamese_label():
    missing = sorted(set(catalog()) - set(EVENT_VI))
    assert not missing, missing


def test_every_warning_list_level_and_anomaly_the_reports_emit_is_translated():
    for key, source in (("list", "early_warnings.py"), ("level", "early_warnings.py"), ("anomaly", "anomalies.py")):
        text = (ROOT / "services" / "reporting" / source).read_text(encoding="utf-8")
        codes = set(re.findall(rf'"{key}": "([a-z_]+)"', text))
        if key == "level":
            codes |= set(re.findall(r'return "([a-z_]+)" if count', text)) | {"warning"}
        assert codes, key
        assert codes <= set(CODE_VI[key]), (key, codes - set(CODE_VI[key]))


def test_the_dashboards_integrity_alert_says_what_the_exports_print_first():
    """/labels.json gives the dashboard's banner the words of the answers' integrity flag, whose
    line the exports print first: for the header's ``failed`` and ``unverified``, stores filled in."""
    from documents.integrity import warning
    from shared.labels import dashboard_labels, integrity_words

    words = dashboard_labels()["integrity"]
    assert (words["title_vi"], words["title_en"]) == ("Cảnh báo toàn vẹn dữ liệu", "Integrity warning")
    for state, failing, unverified in (("failed", ["members"], []), ("unverified", [], ["members"])):
        vi, en = integrity_words(failing, unverified)
        flag = {"intact": False, "message_vi": vi, "message_en": en}
        shown = f"{words[state]['vi'].replace('{stores}', 'members')} / {words[state]['en'].replace('{stores}', 'members')}"
        assert shown == warning({}, flag)
    assert words["failed"]["vi"].startswith("CẢNH BÁO: kho sự kiện {stores} không qua kiểm tra toàn vẹn")
