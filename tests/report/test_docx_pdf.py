"""The Word report as a journal receives it: named styles from the shipped reference document,
rows that do not split, captions kept with tables, page numbers, properties, alt text; rendered
to PDF by LibreOffice: the page count its footer states, no text past the margins, no word broken
across lines, wide tables on landscape pages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hcctrial.report.render_docx import REFERENCE_DOCX

MM = 72 / 25.4  # PDF points per mm
NEEDS = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (libreoffice-writer-nogui) and poppler-utils are installed by .ci/run",
)


def test_the_reference_document_defines_the_styles_the_report_applies_by_name():
    from docx import Document

    names = {s.name for s in Document(str(REFERENCE_DOCX)).styles}
    assert {
        "Three Line Table",
        "Table Text",
        "Table Number",
        "Table Heading",
        "Table Group",
        "Table Label 1",
        "Table Note",
        "Caption",
        "Figure",
    } <= names
    styles = Document(str(REFERENCE_DOCX)).styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption", "Table Text"):
        xml = styles[name].element.xml
        # no theme font or colour overriding the named font and black (Word's blue Cambria)
        assert "Theme" not in xml and "themeColor" not in xml and "pBdr" not in xml, name


def test_the_shipped_reference_is_what_the_tool_writes(tmp_path):
    import importlib.util

    from docx import Document

    tool = Path(__file__).resolve().parents[2] / "tools" / "make_reference_docx.py"
    spec = importlib.util.spec_from_file_location("make_reference_docx", tool)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.make_reference(tmp_path / "reference.docx")
    a = {s.name: s.element.xml for s in Document(str(fresh)).styles}
    b = {s.name: s.element.xml for s in Document(str(REFERENCE_DOCX)).styles}
    assert a == b


def test_docx_applies_styles_by_name_and_keeps_rows_and_captions_together(built_report):
    from docx import Document

    d = Document(str(built_report.docx))
    assert d.tables
    for t in d.tables:
        assert t.style.name == "Three Line Table"
        rows = t._tbl.tr_lst
        assert all(r.trPr is not None and r.trPr.find(_w("cantSplit")) is not None for r in rows)
        assert rows[0].trPr.find(_w("tblHeader")) is not None
        for cell in t._cells:
            for p in cell.paragraphs:
                assert p.style.name.startswith("Table ")
                for run in p.runs:  # no direct formatting on runs: the style decides
                    assert run._r.rPr is None or len(run._r.rPr) == 0
    assert d.styles["Caption"].paragraph_format.keep_with_next is True
    assert d.styles["Figure"].paragraph_format.keep_with_next is True
    props = d.core_properties
    assert props.title and props.author and props.author != "python-docx"
    assert props.created is not None and props.created.year >= 2025
    pictures = d.element.body.findall(".//" + _wp("docPr"))
    assert len(pictures) == len(built_report.figures)
    assert all(p.get("descr") for p in pictures)
    footer = d.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert d.sections[0].header.paragraphs[0].text


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


def _wp(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}" + tag


@pytest.fixture(scope="module")
def pdf_pages(built_report, tmp_path_factory):
    out: Path = tmp_path_factory.mktemp("docx-pdf")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(built_report.docx),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = out / "report.pdf"
    bbox = out / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(bbox)], check=True, timeout=60)
    pages = []
    for m in re.finditer(
        r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>',
        bbox.read_text(encoding="utf-8"),
        re.S,
    ):
        words = [
            (float(a), float(b), float(c), float(d), w)
            for a, b, c, d, w in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                m.group(3),
            )
        ]
        pages.append((float(m.group(1)), float(m.group(2)), words))
    return pages


@NEEDS
def test_libreoffice_renders_every_page_numbered_within_the_margins(pdf_pages, built_report):
    n = len(pdf_pages)
    # at least a page per section; the footer field NUMPAGES agrees with the PDF's page count
    assert n >= 7
    for k, (w, h, words) in enumerate(pdf_pages, start=1):
        text = " ".join(x[4] for x in words)
        assert f"Page {k} of {n}" in text, k
        for x0, y0, x1, y1, word in words:
            # 20 mm side margins (the header/footer sit inside them too); 1 mm of tolerance
            assert x0 >= 19 * MM and x1 <= w - 19 * MM, (k, word, x0, x1, w)
            assert y0 >= 5 * MM and y1 <= h - 5 * MM, (k, word)


@NEEDS
def test_no_word_of_a_table_breaks_across_lines_and_wide_tables_turn_landscape(
    pdf_pages, synthetic_inputs
):
    from hcctrial.report.build import build_document, report_results

    res = report_results(synthetic_inputs)
    model = build_document(synthetic_inputs, res, (), published=True)
    pdf_words = {w for _, _, words in pdf_pages for *_, w in words}
    pdf_tokens = {t for w in pdf_words for t in re.findall(r"[A-Za-z]{4,}", w)}
    for t in model.tables():
        for r in t.rows:
            for cell in (r.label, *r.cells):
                for token in re.findall(r"[A-Za-z]{4,}", cell):
                    assert token in pdf_tokens, (t.key, token)
    inc = [(w, h) for w, h, words in pdf_pages if any(x[4] == "INC-01" for x in words)]
    assert inc and all(w > h for w, h in inc)  # the inconsistencies table: landscape
    t1 = [(w, h) for w, h, words in pdf_pages if any(x[4] == "Characteristic" for x in words)]
    assert t1 and all(w < h for w, h in t1)  # Table 1: portrait
