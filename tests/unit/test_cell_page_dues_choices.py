"""The cell secretary's page offers exactly the dues reductions and exemption grounds the meetings
service accepts (``shared.rules``), in the words of ``shared.labels``: the page keeps its own copy
(it works offline), so a change to the rules that is not carried to the page fails here."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from shared.labels import VALUE_VI
from shared.rules import rules_on

PAGE = Path(__file__).resolve().parents[2] / "services" / "gateway" / "static" / "cell.js"


def constant(name: str):
    found = re.search(rf"const {name} = (\[.*?\]);\n", PAGE.read_text(encoding="utf-8"), re.S)
    assert found, name
    return json.loads(found.group(1))


def test_the_page_offers_the_reductions_and_grounds_the_rules_allow():
    rules = rules_on(dt.date.today())
    assert constant("REDUCTION_RATES") == list(rules.dues_reduction_rates)
    grounds = constant("EXEMPTION_GROUNDS")
    assert [g for g, _ in grounds] == list(rules.dues_exemption_grounds)
    assert dict(grounds) == {g: VALUE_VI["exemption_ground"][g] for g in rules.dues_exemption_grounds}
