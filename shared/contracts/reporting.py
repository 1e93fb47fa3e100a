"""Queries of the reporting service."""
from __future__ import annotations

from shared.catalog.common import Id
from shared.contracts import Query, Spec


class HeadcountQuery(Query):
    org_unit_id: Id | None = None


QUERIES = {
    "headcount": Spec(HeadcountQuery, "Số lượng đảng viên theo tổ chức (cộng dồn cấp dưới)",
                      "Headcount per org unit with subtree roll-up", roles=("viewer", "clerk", "inspector",
                                                                            "administrator")),
}
COMMANDS: dict = {}
