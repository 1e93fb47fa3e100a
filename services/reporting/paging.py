"""Paged lists (issue 15): a province's warning list or headcount tree runs to thousands of rows
(tens of MB as JSON); a page of them comes with the totals needed to page on.

Without ``page``/``page_size`` a list is answered whole, as before; with either, one page
(``page_size`` default 100, at most 1000) and ``total``, ``page``, ``page_size``, ``pages``.
"""
from __future__ import annotations

import math

DEFAULT_PAGE_SIZE = 100


def wanted(page: int | None, page_size: int | None) -> bool:
    return page is not None or page_size is not None


def one_page(rows: list, page: int | None, page_size: int | None) -> dict:
    """The ``page``-th (1-based) slice of ``rows`` and the totals. A page past the end is empty."""
    size = page_size or DEFAULT_PAGE_SIZE
    number = page or 1
    first = (number - 1) * size
    return {"rows": rows[first:first + size], "total": len(rows), "page": number, "page_size": size,
            "pages": max(1, math.ceil(len(rows) / size))}
