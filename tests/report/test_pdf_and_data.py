"""The PDF report (the HTML printed to A4 by headless Chromium): A4 pages, each section on a new
page, short tables whole on one page, the inconsistencies table on landscape pages; the tables
as data (CSV, XLSX) with title, footnotes and numbers as numbers beside the printed text."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest

from hcctrial.report.build import build_report
from hcctrial.report.render_csv import cell_numbers, render_csv, table_grid
from hcctrial.report.render_pdf import chromium_path
from hcctrial.report.tables import Row, Table

NEEDS = pytest.mark.skipif(
    chromium_path() is None or shutil.which("pdftotext") is None,
    reason="headless Chromium and poppler-utils are installed by .ci/run",
)


@pytest.fixture(scope="module")
def pdf_report(synthetic_inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    return build_report(synthetic_inputs, out, ("pdf", "xlsx", "csv"), published=True)


def _pages(pdf) -> list[tuple[float, float, str]]:
    return [(w, h, " ".join(x[4] for x in words)) for w, h, words in _word_boxes(pdf)]


def _word_boxes(pdf) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """Per page: width, height (points) and each word's box (xMin, yMin, xMax, yMax, text)."""
    bbox = pdf.with_suffix(".bbox.html")
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(bbox)], check=True, timeout=60)
    html = bbox.read_text(encoding="utf-8")
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        words = [
            (float(a), float(b), float(c), float(d), t)
            for a, b, c, d, t in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                r"([^<]*)</word>",
                m.group(3),
            )
        ]
        pages.append((float(m.group(1)), float(m.group(2)), words))
    return pages


@NEEDS
def test_no_text_of_the_pdf_runs_past_the_margins(pdf_report):
    mm = 72 / 25.4
    for k, (w, h, words) in enumerate(_word_boxes(pdf_report.pdf), start=1):
        for x0, y0, x1, y1, text in words:
            # the print CSS's 20 mm margins, 1 mm of tolerance
            assert x0 >= 19 * mm and x1 <= w - 19 * mm, (k, text, round(x1 / mm, 1))
            assert y0 >= 19 * mm and y1 <= h - 19 * mm, (k, text)


@NEEDS
def test_pdf_is_a4_with_sections_on_new_pages_and_short_tables_whole(pdf_report):
    assert pdf_report.pdf is not None and pdf_report.html is None  # html only as the source
    pages = _pages(pdf_report.pdf)
    assert len(pages) >= 8
    for w, h, _ in pages:
        assert {round(w), round(h)} == {595, 842}  # A4 in points, either orientation
    heads = ["Baseline characteristics", "Tumour response", "Safety"]
    for head in heads:
        starts = [
            text.startswith(head) or text.split(" Table ")[0].strip() == head for *_, text in pages
        ]
        assert any(starts), head
    # Table 2 (response, 7 rows) is not cut: caption and last row on one page
    t2 = [text for *_, text in pages if "Best tumour response" in text]
    assert t2 and "Disease control rate" in t2[0]
    inc = [(w, h) for w, h, text in pages if "INC-01" in text]
    assert inc and all(w > h for w, h in inc)


def test_cell_numbers_read_the_printed_shapes():
    assert cell_numbers("17 (25.8)") == (("n", "%"), (17, 25.8))
    assert cell_numbers("13.1 (9.5–16.7)") == (("estimate", "lower", "upper"), (13.1, 9.5, 16.7))
    assert cell_numbers("21.8 (0.0†–66.3)") == (("estimate", "lower", "upper"), (21.8, 0.0, 66.3))
    assert cell_numbers("NR (12.0–NR)") == (("estimate", "lower", "upper"), (None, 12.0, None))
    assert cell_numbers("50.0 ± 15.8") == (("mean", "SD"), (50.0, 15.8))
    assert cell_numbers("< 0.001") == (("value",), (0.001,))
    assert cell_numbers("−0.25") == (("value",), (-0.25,))
    assert cell_numbers("All enrolled patients") == ((), ())


def test_csv_has_title_footnotes_and_numbers_beside_the_text():
    t = Table(
        "t",
        "Response",
        ("Response", "n (%), N = 6", "95 % CI, %"),
        (Row("CR", ("1 (16.7)", "")), Row("ORR", ("2 (33.3)", "4.3–77.7"))),
        footnotes=("Denominator: 6 patients.",),
    )
    rows = list(csv.reader(io.StringIO(render_csv(t))))
    assert rows[0] == ["Response"]
    assert rows[1] == [
        "level",
        "Response",
        "n (%), N = 6",
        "n (%), N = 6: n",
        "n (%), N = 6: %",
        "95 % CI, %",
        "95 % CI, %: lower",
        "95 % CI, %: upper",
    ]
    assert rows[3] == ["0", "ORR", "2 (33.3)", "2", "33.3", "4.3–77.7", "4.3", "77.7"]
    assert rows[-1] == ["Denominator: 6 patients."]
    grid = table_grid(t)
    assert grid[2][3:5] == [2, 33.3] and isinstance(grid[2][3], int)


def test_xlsx_holds_every_table_with_numbers_as_numbers(pdf_report):
    from openpyxl import load_workbook

    assert pdf_report.xlsx is not None
    wb = load_workbook(pdf_report.xlsx)
    assert wb.sheetnames == [k[:31] for k in pdf_report.tables]
    ws = wb["table2"]
    assert ws["A1"].value.startswith("Best tumour response")
    header = [c.value for c in ws[2]]
    j = header.index(next(h for h in header if h and h.endswith(": n")))
    first = [c.value for c in ws[3]]
    assert isinstance(first[j], int)
    assert first[j - 1].startswith(f"{first[j]} (")
    assert len(pdf_report.csv) == len(pdf_report.tables)


def test_pdf_without_chromium_is_refused_naming_the_format(synthetic_inputs, tmp_path, monkeypatch):
    from hcctrial.errors import DataValidationError
    from hcctrial.report import render_pdf

    monkeypatch.setattr(render_pdf, "chromium_path", lambda: None)
    with pytest.raises(DataValidationError, match=r"format: 'pdf' needs headless Chromium"):
        build_report(synthetic_inputs, tmp_path, ("pdf",), workers=1)
    assert not list(tmp_path.glob("*.pdf*"))


@NEEDS
def test_every_word_of_every_table_is_printed_whole(pdf_report, synthetic_inputs):
    """A column pushed past the page (clipped, so absent from the PDF's text) or a word broken
    across lines fails here."""
    from hcctrial.report.build import build_document, report_results

    model = build_document(synthetic_inputs, report_results(synthetic_inputs), (), published=True)
    printed = {
        t
        for _, _, words in _word_boxes(pdf_report.pdf)
        for *_, w in words
        for t in re.findall(r"[A-Za-z]{4,}", w)
    }
    for table in model.tables():
        for row in table.rows:
            for cell in (row.label, *row.cells):
                for token in re.findall(r"[A-Za-z]{4,}", cell):
                    assert token in printed, (table.key, token)
