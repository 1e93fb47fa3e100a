"""DOCX → PDF with LibreOffice headless (Debian: libreoffice-writer-nogui; fonts-liberation2 gives
Liberation Serif, metric-compatible with Times New Roman and covering Vietnamese)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from shared.errors import DomainError

TIMEOUT = 300


class PdfUnavailable(DomainError):
    status = 503


def soffice() -> str | None:
    return os.environ.get("DANGVIEN_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


def unavailable() -> PdfUnavailable:
    return PdfUnavailable(
        "pdf_unavailable",
        "Máy này chưa cài LibreOffice nên không tạo được PDF; hãy dùng --format docx, hoặc cài gói "
        "libreoffice-writer-nogui và fonts-liberation2 (scripts/ensure-services.sh)",
        "LibreOffice is not installed here, so no PDF; use --format docx, or install libreoffice-writer-nogui "
        "and fonts-liberation2 (scripts/ensure-services.sh)", field="format")


def to_pdf(docx: bytes) -> bytes:
    exe = soffice()
    if not exe:
        raise unavailable()
    with tempfile.TemporaryDirectory(prefix="dangvien-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "bao-cao.docx"
        source.write_bytes(docx)
        # a profile of its own: concurrent conversions do not fight over one user installation
        profile = (folder / "profile").as_uri()
        done = subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                               "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                              capture_output=True, timeout=TIMEOUT, env={**os.environ, "HOME": tmp})
        target = folder / "bao-cao.pdf"
        if done.returncode != 0 or not target.exists():
            raise PdfUnavailable("pdf_failed", "LibreOffice không chuyển được văn bản sang PDF",
                                 "LibreOffice could not convert the document to PDF", field="format")
        return target.read_bytes()
