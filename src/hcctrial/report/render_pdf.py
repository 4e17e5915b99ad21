"""The report as PDF: the HTML report printed to A4 by headless Chromium.

Why Chromium rather than WeasyPrint: Chromium is already a requirement of the project (the web
tests and the HTML report's rendering check drive it; ``.ci/run`` installs Debian's package), it
prints exactly the HTML a reader sees on screen -- the inline SVG figures, the same fonts, CSS
named pages for landscape tables, repeated table headers -- and it adds no Python dependency.
WeasyPrint would be a second layout engine with its own CSS subset and native libraries (Pango,
cairo) to install for one output.

The print rules live in the HTML's print CSS (:mod:`hcctrial.report.render_html`): A4 with 20 mm
margins, each section on a new page, tables and figures never cut (a table longer than a page
breaks between rows, its header repeated), wide tables on landscape pages.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from hcctrial.errors import DataValidationError

__all__ = ["chromium_path", "render_pdf"]

#: Seconds Chromium may take to print the report.
TIMEOUT_S = 180


def chromium_path() -> str | None:
    """The headless Chromium executable on PATH (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def render_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` (a self-contained report page) to ``pdf`` (A4) and return ``pdf``.

    Raises :class:`DataValidationError` naming the ``pdf`` format when Chromium is missing or
    fails (the message says what was expected); no half-written PDF is left behind.
    """
    exe = chromium_path()
    if exe is None:
        raise DataValidationError(
            "format: 'pdf' needs headless Chromium; expected `chromium` on PATH "
            "(Debian package chromium)",
            field="format",
        )
    pdf.parent.mkdir(parents=True, exist_ok=True)
    partial = pdf.with_suffix(".pdf.part")
    with tempfile.TemporaryDirectory(prefix="hcctrial-chromium-") as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={partial}",
            html.resolve().as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            partial.unlink(missing_ok=True)
            raise DataValidationError(
                f"format: Chromium could not print {html.name} to PDF ({type(exc).__name__}); "
                "expected a working headless Chromium",
                field="format",
            ) from None
    if not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        raise DataValidationError(
            f"format: Chromium wrote no PDF for {html.name}; expected a working headless Chromium",
            field="format",
        )
    partial.replace(pdf)
    return pdf
