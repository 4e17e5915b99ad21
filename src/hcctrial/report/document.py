"""The report as a document model (sections of paragraphs, tables and figures) that the HTML and
Word renderers draw the same way."""

from __future__ import annotations

from dataclasses import dataclass

from hcctrial.report.figures import FigureFiles
from hcctrial.report.tables import Table

__all__ = ["ReportDocument", "Section"]


@dataclass(frozen=True)
class Section:
    """A titled section: paragraphs first, then its tables, then its figures."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[FigureFiles, ...] = ()


@dataclass(frozen=True)
class ReportDocument:
    """The whole report: title, subtitle line (data source, date), sections in order, the trial's
    name and the provenance lines of the first page."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    #: The trial the report is about (the Word file's author).
    trial: str = ""
    #: Provenance lines printed on the first page (version, commit, hashes, time).
    provenance: tuple[str, ...] = ()

    def tables(self) -> tuple[Table, ...]:
        """Every table in document order."""
        return tuple(t for s in self.sections for t in s.tables)

    def figures(self) -> tuple[FigureFiles, ...]:
        """Every figure in document order."""
        return tuple(f for s in self.sections for f in s.figures)
