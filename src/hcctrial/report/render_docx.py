"""The report as a Word document (python-docx), as journals receive it.

The document starts from the reference document shipped in the package
(``report/data/reference.docx``, written by ``tools/make_reference_docx.py``) and applies its
named styles -- ``Three Line Table``, ``Table Text``/``Number``/``Heading``/``Group``/``Label 1-2``,
``Table Note``, ``Caption``, ``Figure``, headings -- by name, never formatting run by run: a
journal's template with the same style names replaces the look in one step. Tables have column
widths fitted to their content (:mod:`hcctrial.report.docx_layout`), a header row repeated on each
page, rows that do not split across pages, captions kept with the table (the ``Caption`` style
keeps with the next paragraph), and a landscape section of their own when they are wide. Every
page has a running header (the report's title) and "Page N of M" in the footer; the document
properties name the title, the trial as author and the date; every figure has alt text (the
picture's ``descr``) and is placed at its print width. The fonts are a journal preset
(:mod:`hcctrial.analysis.word_fonts`: ``times``, ``arial``, ``calibri``) set on those named styles
by :func:`hcctrial.report.docx_fonts.apply_word_fonts`, never on a run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hcctrial.analysis.word_fonts import DEFAULT_WORD_FONTS
from hcctrial.report.document import ReportDocument
from hcctrial.report.docx_fonts import apply_word_fonts
from hcctrial.report.docx_layout import MARGIN_MM as _MARGIN
from hcctrial.report.docx_layout import PAGE_MM as _PAGE
from hcctrial.report.docx_layout import table_fit
from hcctrial.report.figures import FigureFiles
from hcctrial.report.tables import Table

__all__ = ["REFERENCE_DOCX", "render_docx"]

REFERENCE_DOCX = Path(__file__).resolve().parent / "data" / "reference.docx"


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """Append a Word field (``PAGE``, ``NUMPAGES``, ``SEQ Table``) showing ``shown`` until updated."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    paragraph.add_run()._r.append(char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(char("separate"))
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(char("end"))


def _caption(doc: Any, kind: str, number: int, text: str) -> Any:
    """A caption "Kind N. text" whose number is a Word SEQ field (Word's list of tables works)."""
    p = _paragraph(doc, "", "Caption")
    p.add_run(f"{kind} ")
    _field(p, f"SEQ {kind} \\* ARABIC", str(number))
    p.add_run(f". {text}")
    return p


def _row_flags(row: Any, *, header: bool) -> None:
    """Rows never split across pages; the header row repeats on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    trpr.append(cant)
    if header:
        rep = OxmlElement("w:tblHeader")
        rep.set(qn("w:val"), "true")
        trpr.append(rep)


def _fixed_layout(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)


def _style_id(doc: Any, name: str) -> str:
    """The id of the paragraph style ``name`` (looked up once per document)."""
    cache: dict[str, str] = doc.__dict__.setdefault("_hcctrial_style_ids", {})
    if name not in cache:
        cache[name] = doc.styles[name].style_id
    return cache[name]


def _paragraph(doc: Any, text: str, style: str) -> Any:
    """``doc.add_paragraph(text, style=style)`` with the style id looked up once."""
    p = doc.add_paragraph(text)
    p._p.style = _style_id(doc, style)
    return p


def _label_style(indent: int, heading: bool) -> str:
    if heading:
        return "Table Group"
    return {0: "Table Text", 1: "Table Label 1"}.get(indent, "Table Label 2")


def _set_section(doc: Any, landscape: bool, *, new: bool) -> Any:
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Mm

    sec = doc.add_section(WD_SECTION.NEW_PAGE) if new else doc.sections[0]
    w, h = _PAGE
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (Mm(h), Mm(w)) if landscape else (Mm(w), Mm(h))
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Mm(_MARGIN))
    sec.header_distance = sec.footer_distance = Mm(10)
    return sec


def _add_table(doc: Any, t: Table, number: int, state: dict[str, bool]) -> None:
    from docx.shared import Mm

    fit = table_fit(t)
    if fit.landscape != state["landscape"]:
        _set_section(doc, fit.landscape, new=True)
        state["landscape"] = fit.landscape
    _caption(doc, "Table", number, t.title)
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.columns))
    table.style = doc.styles["Three Line Table"]
    table.autofit = False
    _fixed_layout(table)
    for j, w in enumerate(fit.widths_mm):
        table.columns[j].width = Mm(w)
    for i, row in enumerate(table.rows):
        _row_flags(row, header=i == 0)
        if i == 0:
            texts, styles = list(t.columns), ["Table Heading"] * len(t.columns)
        else:
            r = t.rows[i - 1]
            texts = [r.label, *r.cells]
            styles = [_label_style(r.indent, r.heading)] + ["Table Number"] * len(r.cells)
        for j, cell in enumerate(row.cells):
            cell.width = Mm(fit.widths_mm[j])
            p = cell.paragraphs[0]
            # the style id set on the paragraph directly: python-docx's ``p.style = name``
            # scans every style of the document per call (~2 ms; 2,000 cells in the report)
            p._p.style = _style_id(doc, styles[j])
            p.text = texts[j]
    for f in (*t.footnotes, *((t.caption,) if t.caption else ())):
        _paragraph(doc, f, "Table Note")


def _add_figure(doc: Any, f: FigureFiles, number: int, state: dict[str, bool]) -> None:
    """The picture at its print width (pixels / 300 dpi), alt text in its ``descr``."""
    from docx.shared import Mm
    from PIL import Image

    if state["landscape"]:
        _set_section(doc, False, new=True)
        state["landscape"] = False
    with Image.open(f.png) as im:
        width_px = im.size[0]
        dpi = float(im.info.get("dpi", (300, 300))[0]) or 300.0
    width_mm = min(width_px / dpi * 25.4, _PAGE[0] - 2 * _MARGIN)
    p = doc.add_paragraph(style="Figure")
    run = p.add_run()
    shape = run.add_picture(str(f.png), width=Mm(width_mm))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", f.alt or f.caption)
    doc_pr.set("title", f.key)
    _caption(doc, "Figure", number, f.caption)


def _header_footer(doc: Any, title: str) -> None:
    sec = doc.sections[0]
    sec.header.paragraphs[0].text = title
    sec.header.paragraphs[0].style = doc.styles["Header"]
    foot = sec.footer.paragraphs[0]
    foot.style = doc.styles["Footer"]
    foot.add_run("Page ")
    _field(foot, "PAGE", "1")
    foot.add_run(" of ")
    _field(foot, "NUMPAGES", "1")


def _properties(doc: Any, model: ReportDocument) -> None:
    from hcctrial import __version__

    props = doc.core_properties
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    props.title = model.title
    props.author = model.trial or model.title
    props.last_modified_by = f"hcctrial {__version__}"
    props.created = props.modified = now
    props.comments = model.subtitle
    props.subject = "Trial report"
    props.revision = 1


def render_docx(doc_model: ReportDocument, path: Path, fonts: str = DEFAULT_WORD_FONTS) -> Path:
    """Write the report to ``path`` (.docx) with the font preset ``fonts`` and return it.

    Raises ValueError for a preset name that does not exist."""
    from docx import Document

    doc = Document(str(REFERENCE_DOCX))
    apply_word_fonts(doc, fonts)
    _set_section(doc, False, new=False)
    _header_footer(doc, doc_model.title)
    _properties(doc, doc_model)
    doc.add_paragraph(doc_model.title, style="Title")
    doc.add_paragraph(doc_model.subtitle)
    for line in doc_model.provenance:
        _paragraph(doc, line, "Table Note")
    state = {"landscape": False}
    n_table = n_fig = 0
    for s in doc_model.sections:
        # the section starts on the orientation of its first table (no heading left behind)
        first = table_fit(s.tables[0]).landscape if s.tables and not s.paragraphs else False
        if state["landscape"] != first:
            _set_section(doc, first, new=True)
            state["landscape"] = first
        doc.add_heading(s.title, level=1)
        for para in s.paragraphs:
            doc.add_paragraph(para)
        for t in s.tables:
            n_table += 1
            _add_table(doc, t, n_table, state)
        for f in s.figures:
            n_fig += 1
            _add_figure(doc, f, n_fig, state)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
