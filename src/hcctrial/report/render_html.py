"""The report as one self-contained HTML file: CSS inline, figures embedded as base64 SVG images,
no JavaScript, readable offline, with print CSS (A4, 20 mm margins, each section on a new page,
tables and figures kept whole -- a table over :data:`LONG_TABLE_ROWS` rows breaks only between rows
with its header repeated -- and wide tables on landscape pages: the PDF report is this page
printed by Chromium, :mod:`hcctrial.report.render_pdf`)."""

from __future__ import annotations

import base64
from html import escape

from hcctrial.report.document import ReportDocument, Section
from hcctrial.report.docx_layout import SHORT_CELL, table_fit
from hcctrial.report.figures import FigureFiles
from hcctrial.report.tables import Table

__all__ = ["render_html", "table_html"]

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #999; --head: #f0f0f0; }
html { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       font-size: 14px; line-height: 1.45; }
body { max-width: 1050px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid var(--rule); padding-bottom: 0.2em;
     margin-top: 2em; }
p.subtitle { color: var(--muted); margin-top: 0; }
ul.provenance { font-size: 0.8em; color: var(--muted); list-style: none; padding: 0;
                font-family: "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
nav ol { columns: 2; }
table { border-collapse: collapse; margin: 1.2em 0 0.4em; width: 100%; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.4em; }
th, td { padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
thead th { border-top: 2px solid var(--ink); border-bottom: 1px solid var(--ink);
           background: var(--head); }
tbody tr:last-child td { border-bottom: 2px solid var(--ink); }
td.nb { white-space: nowrap; }
tr.heading td { font-weight: bold; padding-top: 0.5em; }
td.indent-1 { padding-left: 1.8em; } td.indent-2 { padding-left: 3em; }
tfoot td { font-size: 0.85em; color: var(--muted); padding-top: 0.3em; border: none; }
p.table-caption { font-size: 0.85em; color: var(--muted); margin-top: 0; }
figure { margin: 1.5em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: var(--muted); margin-top: 0.4em; }
.match { color: #006d2c; font-weight: bold; } .differ { color: #b30000; font-weight: bold; }
div.wide { overflow-x: auto; }
@page { size: A4; margin: 20mm; }
@page landscape { size: A4 landscape; margin: 20mm; }
@media print {
  html { font-size: 9pt; }
  body { max-width: none; margin: 0; padding: 0; }
  nav { display: none; }
  section { break-before: page; }
  h2 { break-after: avoid; margin-top: 0; }
  table, figure { break-inside: avoid; }
  table.long { break-inside: auto; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  tfoot { display: table-row-group; }
  caption { break-after: avoid; }
  div.wide, section.landscape { page: landscape; overflow: visible; }
  figure img { max-height: 240mm; width: auto; max-width: 100%; border: none; }
  td, th { overflow-wrap: normal; word-break: normal; }
}
"""

#: Rows above which a table may break across pages (between rows, header repeated).
LONG_TABLE_ROWS = 40


def table_html(t: Table, number: int | None = None) -> str:
    """Return one table as HTML (caption = "Table N. title", footnotes in ``tfoot``)."""
    ncol = len(t.columns)
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in t.columns)
    body = []
    for r in t.rows:
        cls = ' class="heading"' if r.heading else ""
        cells = "".join(f'<td class="{_cell_class(c)}">{_mark(c)}</td>' for c in r.cells)
        label_cls = " ".join(
            x for x in (f"indent-{min(r.indent, 2)}" if r.indent else "", _nb(r.label)) if x
        )
        label_attr = f' class="{label_cls}"' if label_cls else ""
        body.append(f"<tr{cls}><td{label_attr}>{escape(r.label)}</td>{cells}</tr>")
    foot = "".join(f'<tr><td colspan="{ncol}">{escape(f)}</td></tr>' for f in t.footnotes)
    cap = f'<p class="table-caption">{escape(t.caption)}</p>' if t.caption else ""
    title = t.title if number is None else f"Table {number}. {t.title}"
    long = ' class="long"' if len(t.rows) > LONG_TABLE_ROWS else ""
    html = (
        f'<table id="{escape(t.key)}"{long}><caption>{escape(title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
        f"<tfoot>{foot}</tfoot></table>{cap}"
    )
    if table_fit(t).landscape:
        return f'<div class="wide">{html}</div>'
    return html


def _nb(text: str) -> str:
    """``nb`` (no line break) for a short cell -- a count, a CI, an id -- as the Word layout
    keeps it on one line (:data:`hcctrial.report.docx_layout.SHORT_CELL`); long text wraps."""
    return "nb" if len(text) <= SHORT_CELL else ""


def _cell_class(cell: str) -> str:
    return "num nb" if _nb(cell) else "text"


def _mark(cell: str) -> str:
    if cell == "✓":
        return '<span class="match">✓</span>'
    if cell == "≠":
        return '<span class="differ">≠</span>'
    return escape(cell)


def _figure_html(f: FigureFiles, number: int, print_png: bool = False) -> str:
    if print_png:  # the file's own URI: the PDF printer reads the 300 dpi PNG beside the report
        src = escape(f.png.resolve().as_uri())
    else:
        src = "data:image/svg+xml;base64," + base64.b64encode(f.svg.read_bytes()).decode("ascii")
    return (
        f'<figure id="fig-{escape(f.key)}"><img alt="{escape(f.alt or f.caption)}" '
        f'src="{src}"/>'
        f"<figcaption>Figure {number}. {escape(f.caption)}</figcaption></figure>"
    )


def _section_html(s: Section, fig_start: int, table_start: int, print_png: bool = False) -> str:
    # a section opening with a wide table starts on the landscape page (heading and all)
    wide_first = bool(s.tables) and not s.paragraphs and table_fit(s.tables[0]).landscape
    cls = ' class="landscape"' if wide_first else ""
    parts = [f'<section id="{escape(s.key)}"{cls}><h2>{escape(s.title)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in s.paragraphs]
    parts += [table_html(t, table_start + i) for i, t in enumerate(s.tables)]
    parts += [_figure_html(f, fig_start + i, print_png) for i, f in enumerate(s.figures)]
    parts.append("</section>")
    return "\n".join(parts)


def _provenance_html(doc: ReportDocument) -> str:
    if not doc.provenance:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in doc.provenance)
    return f'<ul class="provenance" aria-label="Provenance">{items}</ul>'


def render_html(doc: ReportDocument, *, print_png: bool = False) -> str:
    """Return the whole report as one HTML string: self-contained (figures as embedded SVG), or,
    with ``print_png``, the page the PDF is printed from, whose figures are the 300 dpi PNG files
    beside it (Chromium prints the report with 20 embedded SVG images in ~6 s and a 19 MB file,
    with the PNGs in ~1 s and a few MB, at print resolution)."""
    nav = "".join(
        f'<li><a href="#{escape(s.key)}">{escape(s.title)}</a></li>' for s in doc.sections
    )
    sections = []
    fig = tab = 1
    for s in doc.sections:
        sections.append(_section_html(s, fig, tab, print_png))
        fig += len(s.figures)
        tab += len(s.tables)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{escape(doc.title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{escape(doc.title)}</h1><p class="subtitle">{escape(doc.subtitle)}</p>'
        f"{_provenance_html(doc)}</header><nav><ol>{nav}</ol></nav>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )
