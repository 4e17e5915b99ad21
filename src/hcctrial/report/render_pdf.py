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

__all__ = ["PendingPdf", "chromium_path", "render_pdf", "start_pdf"]

#: Seconds Chromium may take to print the report.
TIMEOUT_S = 180


def chromium_path() -> str | None:
    """The headless Chromium executable on PATH (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class PendingPdf:
    """A PDF being printed by a Chromium process started by :func:`start_pdf`: the caller does
    other work (the Word file) while Chromium prints, then :meth:`wait`."""

    def __init__(self, html: Path, pdf: Path) -> None:
        exe = chromium_path()
        if exe is None:
            raise DataValidationError(
                "format: 'pdf' needs headless Chromium; expected `chromium` on PATH "
                "(Debian package chromium)",
                field="format",
            )
        pdf.parent.mkdir(parents=True, exist_ok=True)
        self.html, self.pdf = html, pdf
        self.partial = pdf.with_suffix(".pdf.part")
        self._profile = tempfile.TemporaryDirectory(prefix="hcctrial-chromium-")
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={self._profile.name}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={self.partial}",
            html.resolve().as_uri(),
        ]
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            self._profile.cleanup()
            raise self._failed(type(exc).__name__) from None

    def _failed(self, why: str) -> DataValidationError:
        self.partial.unlink(missing_ok=True)
        return DataValidationError(
            f"format: Chromium could not print {self.html.name} to PDF ({why}); expected a "
            "working headless Chromium",
            field="format",
        )

    def wait(self) -> Path:
        """Wait for Chromium (at most :data:`TIMEOUT_S`); return the PDF's path."""
        proc = self._proc
        assert proc is not None
        try:
            code = proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = -1
        finally:
            self._proc = None
            self._profile.cleanup()
        if code != 0 or not self.partial.is_file() or self.partial.stat().st_size == 0:
            raise self._failed(f"exit code {code}")
        self.partial.replace(self.pdf)
        return self.pdf


def start_pdf(html: Path, pdf: Path) -> PendingPdf:
    """Start printing ``html`` to ``pdf`` (A4) in a Chromium process; :meth:`PendingPdf.wait`
    finishes it. Raises :class:`DataValidationError` naming the ``pdf`` format when Chromium is
    missing; no half-written PDF is left behind."""
    return PendingPdf(html, pdf)


def render_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` (a self-contained report page) to ``pdf`` (A4) and return ``pdf``."""
    return start_pdf(html, pdf).wait()
