"""The yearly report to the Standing Committee (D8): DOCX from a template, PDF via LibreOffice,
the figures embedded in both so ``dangvien audit reproduce`` can check them against the history."""
from __future__ import annotations

from pathlib import Path

from shared.errors import DomainError

FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "pdf": "application/pdf"}


def render(figures: dict, fmt: str, template: str | Path | None = None, texts: dict | None = None) -> bytes:
    from documents.yearly import document, embed, pdf

    if fmt not in FORMATS:
        raise DomainError("invalid_input", "Định dạng báo cáo năm phải là docx hoặc pdf",
                          "The yearly report's format must be docx or pdf", field="format")
    docx = document.render_docx(figures, template, texts)
    if fmt == "docx":
        return docx
    title = f"Báo cáo kết quả thực hiện Chỉ thị năm {figures['params']['year']} — {figures['unit']['name']}"
    return embed.add_to_pdf(pdf.to_pdf(docx), figures, title)


def filename(figures: dict, fmt: str) -> str:
    return f"bao-cao-nam-{figures['params']['year']}-{figures['unit']['org_unit_id'] or 'toan-tinh'}.{fmt}"
