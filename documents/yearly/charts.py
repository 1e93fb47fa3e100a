"""Charts of the yearly report as PNG images (matplotlib, Agg: no display needed).

Only where a reader would rather look than read: the footnote indicators year on year and term on
term, the membership flows of the year, and the causes by member category.
"""
from __future__ import annotations

import io

from documents import vn

DPI = 150


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8})  # DejaVu has Vietnamese
    return plt


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    _plt().close(fig)
    return out.getvalue()


def _bars(ax, labels, series: list[tuple[str, list[float]]]) -> None:
    n = len(series)
    width = 0.8 / n
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(labels))]
        bars = ax.bar(xs, values, width, label=name)
        for b, v in zip(bars, values):
            ax.annotate(vn.number(v), (b.get_x() + b.get_width() / 2, b.get_height()), ha="center",
                        va="bottom", fontsize=7)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="upper left")


def _wrap(text: str, width: int = 16) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line])


def footnote(table: dict) -> bytes:
    plt = _plt()
    cols = {c["key"]: c["label_vi"] for c in table["columns"]}
    rows = [r for r in table["rows"] if r["id"] != "members_admitted"]
    labels = [_wrap(r["label_vi"]) for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.5, 3.4))
    _bars(a, labels, [(cols["previous_year"], [r["values"]["previous_year"] for r in rows]),
                      (cols["year"], [r["values"]["year"] for r in rows])])
    a.set_title("So sánh với năm trước", fontsize=9)
    _bars(b, labels, [(cols["previous_term"], [r["values"]["previous_term"] for r in rows]),
                      (cols["term"].split(" (")[0], [r["values"]["term"] for r in rows])])
    b.set_title("So sánh với nhiệm kỳ trước", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def movement(table: dict) -> bytes:
    plt = _plt()
    top = table["rows"][0]["values"] if table["rows"] else {}
    cols = [c for c in table["columns"] if c["key"] not in ("opening", "closing")]
    inflow = {"admitted", "transferred_in", "moved_in"}
    fig, ax = plt.subplots(figsize=(9.5, 3.0))
    values = [top.get(c["key"], 0) for c in cols]
    colours = ["#2e7d32" if c["key"] in inflow else "#c62828" for c in cols]
    bars = ax.bar(range(len(cols)), values, color=colours)
    for b, v in zip(bars, values):
        ax.annotate(vn.number(v), (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom",
                    fontsize=7)
    ax.set_xticks(range(len(cols)), [_wrap(c["label_vi"], 14) for c in cols], fontsize=7)
    ax.set_title(f"Tăng (xanh) và giảm (đỏ) đảng viên — {table['rows'][0]['label_vi'] if table['rows'] else ''}",
                 fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def causes(table: dict) -> bytes:
    plt = _plt()
    rows = [r for r in table["rows"] if r["id"].startswith("category.")]
    fig, ax = plt.subplots(figsize=(9.5, 3.2))
    left = [0] * len(rows)
    for c in table["columns"]:
        values = [r["values"][c["key"]] for r in rows]
        ax.barh(range(len(rows)), values, left=left, label=c["label_vi"])
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(rows)), [r["label_vi"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.legend(fontsize=7, frameon=False, ncols=4, loc="lower right")
    ax.set_title("Xóa tên, xin ra, khai trừ, kỷ luật theo đối tượng đảng viên", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


CHARTS = {"footnote": footnote, "movement": movement, "causes": causes}
