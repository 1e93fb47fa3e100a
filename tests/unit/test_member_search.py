"""The search's pure parts: folding, word-start matching, the subtree, the limit."""
from __future__ import annotations

from services.members import search

PARENTS = {"P": None, "A": "P", "A1": "A", "B": "P", "B1": "B"}
NAMES = {"P": "Tỉnh", "A": "Đảng bộ Xã 1.2", "A1": "Chi bộ Ấp 1.2.1", "B": "Đảng bộ Xã 1.1", "B1": "Chi bộ Ấp 1.1.2"}
PEOPLE = {"M1": ("Nguyễn Văn An", "official"), "M2": ("Đặng Thị Lành", "probationary"), "M3": ("Lê An", "left")}
PLACED = [("M1", "A1", True), ("M2", "B1", True), ("M3", "A1", False)]


def find(q=None, codes=None, within=None, limit=50):
    return search.search(PLACED, PARENTS, NAMES, PEOPLE.__getitem__, q, codes, within, limit)


def test_folding_drops_case_and_diacritics_and_reads_dj_as_d():
    assert search.folded("  Đặng   Thị LÀNH ") == "dang thi lanh"


def test_each_word_must_begin_a_word():
    assert [r["member_id"] for r in find("dang lan")["rows"]] == ["M2"]
    assert [r["member_id"] for r in find("an")["rows"]] == ["M3", "M1"]  # by name: Lê An, Nguyễn Văn An
    assert find("1.2")["total"] == 2 and {r["org_unit_id"] for r in find("1.2")["rows"]} == {"A1"}
    assert find("guyen")["total"] == 0  # inside a word: no


def test_the_subtree_codes_and_limit():
    assert [r["member_id"] for r in find("an", within="B")["rows"]] == []
    assert [r["member_id"] for r in find(codes=["M1", "M2"], within="A")["rows"]] == ["M1"]
    assert [r["member_id"] for r in find(codes=["M2"], within="B1")["rows"]] == ["M2"]
    answer = find("chi", limit=1)
    assert answer["total"] == 3 and len(answer["rows"]) == 1
    row = find(codes=["M2"])["rows"][0]
    assert (row["unit_name"], row["parent_id"], row["parent_name"]) == ("Chi bộ Ấp 1.1.2", "B", "Đảng bộ Xã 1.1")
