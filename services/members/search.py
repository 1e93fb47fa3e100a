"""Finding members by name, code or unit, inside one subtree of the organisation.

Names are sealed in the events (``shared.personal``), so they are opened one member at a time,
only for the members of the subtree asked for: the gateway always asks with the caller's scope, so
nobody's name outside it is opened, and the answer never says whether someone exists elsewhere.
Matching ignores case and Vietnamese diacritics ("nguyen van an" finds "Nguyễn Văn An"); each word
of the query must begin a word of the name, the code or the unit.
"""
from __future__ import annotations

import unicodedata


def folded(text: str | None) -> str:
    """Lower case without diacritics; đ counts as d."""
    plain = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())


def subtree(parents: dict[str, str | None], root: str) -> set[str]:
    """The root and every unit below it."""
    kids: dict[str | None, list[str]] = {}
    for unit, parent in parents.items():
        kids.setdefault(parent, []).append(unit)
    out, todo = set(), [root]
    while todo:
        unit = todo.pop()
        if unit not in out:
            out.add(unit)
            todo.extend(kids.get(unit, []))
    return out


def unit_names(history) -> dict[str, str]:
    """Each unit's latest name, closed units included."""
    names: dict[str, str] = {}
    for uid, _, t, d in history:
        if t in ("org_unit.created", "org_unit.renamed") and d.get("name"):
            names[uid] = d["name"]
    return names


def matches(needle: str, *haystacks: str | None) -> bool:
    """Every word of the query begins a word of the texts (folded): "lan" finds "Lan" and "Lành",
    "1.2" finds "Xã 1.2" but not "Ấp 1.1.2"."""
    text = " " + " ".join(folded(h) for h in haystacks if h)
    return all(" " + word in text for word in needle.split())


def search(placed, parents, names, name_of, q: str | None, codes: list[str] | None, within: str | None,
           limit: int) -> dict:
    """``placed``: (member_id, unit, active) rows; ``name_of(member_id)`` → (full name, status).
    Members of the ``within`` subtree (all when None) whose name, code, unit or parent unit (code or
    name) holds every word of ``q``, or whose code is one of ``codes``; at most ``limit``, by name."""
    units = subtree(parents, within) if within else None
    wanted = set(codes or ())
    needle = folded(q) if q else ""
    found = []
    for member_id, unit, active in placed:
        if units is not None and unit not in units:
            continue
        if wanted and member_id not in wanted:
            continue
        full_name, status = name_of(member_id)
        parent = parents.get(unit)
        if needle and not matches(needle, full_name, member_id, unit, names.get(unit), parent, names.get(parent or "")):
            continue
        found.append({"member_id": member_id, "full_name": full_name, "status": status, "active": active,
                      "org_unit_id": unit, "unit_name": names.get(unit), "parent_id": parent,
                      "parent_name": names.get(parent or "")})
    found.sort(key=lambda r: (folded(r["full_name"]), r["member_id"]))
    return {"total": len(found), "rows": found[:limit]}
