"""The report as a Word document (python-docx): real Word tables with a repeated header row,
numbered captions (Word ``SEQ`` fields, so Word's list of tables/figures works), footnotes with
abbreviations and denominators under each table, and the PNG figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hcctrial.report.document import ReportDocument
from hcctrial.report.tables import Table

__all__ = ["render_docx"]


def _seq_caption(doc: Any, kind: str, number: int, text: str) -> None:
    """Add a caption paragraph "Kind N. text" whose number is a Word SEQ field."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = doc.add_paragraph(style="Caption")
    p.add_run(f"{kind} ")
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" SEQ {kind} \\* ARABIC "
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    r1 = p.add_run()
    r1._r.append(begin)
    r2 = p.add_run()
    r2._r.append(instr)
    r3 = p.add_run()
    r3._r.append(sep)
    p.add_run(str(number))
    r4 = p.add_run()
    r4._r.append(end)
    p.add_run(f". {text}")


def _add_table(doc: Any, t: Table, number: int) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    _seq_caption(doc, "Table", number, t.title)
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    hdr = table.rows[0]
    trpr = hdr._tr.get_or_add_trPr()
    rep = OxmlElement("w:tblHeader")
    rep.set(qn("w:val"), "true")
    trpr.append(rep)
    for j, c in enumerate(t.columns):
        cell = hdr.cells[j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(c)
        run.bold = True
        run.font.size = Pt(8.5)
    for i, r in enumerate(t.rows, start=1):
        cells = table.rows[i].cells
        p = cells[0].paragraphs[0]
        run = p.add_run(r.label)
        run.font.size = Pt(8.5)
        run.bold = r.heading
        if r.indent:
            p.paragraph_format.left_indent = Pt(10 * r.indent)
        for j, v in enumerate(r.cells, start=1):
            run = cells[j].paragraphs[0].add_run(v)
            run.font.size = Pt(8.5)
    for f in t.footnotes:
        fp = doc.add_paragraph()
        fr = fp.add_run(f)
        fr.font.size = Pt(8)
        fr.italic = True
    if t.caption:
        cp = doc.add_paragraph()
        cr = cp.add_run(t.caption)
        cr.font.size = Pt(8)


def render_docx(doc_model: ReportDocument, path: Path) -> Path:
    """Write the report to ``path`` (.docx) and return it."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Inches, Mm

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(18)
    doc.add_heading(doc_model.title, level=0)
    doc.add_paragraph(doc_model.subtitle)
    n_table = n_fig = 0
    for s in doc_model.sections:
        doc.add_heading(s.title, level=1)
        for para in s.paragraphs:
            doc.add_paragraph(para)
        for t in s.tables:
            n_table += 1
            _add_table(doc, t, n_table)
        for f in s.figures:
            n_fig += 1
            doc.add_picture(str(f.png), width=Inches(6.3))
            _seq_caption(doc, "Figure", n_fig, f.caption)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
