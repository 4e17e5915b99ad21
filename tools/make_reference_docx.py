"""Write the Word reference document of the report: its named styles (a development-time tool,
not part of the installed package).

The report's Word file is made from ``src/hcctrial/report/data/reference.docx`` and applies these
styles by name, never run by run, so a journal's template can replace the file (or an editor
change a style once in Word) and every table and caption follows:

- ``Three Line Table`` (table style): a rule above the table, one under the header row, one under
  the table, no other gridlines -- the table journals print;
- ``Table Text``, ``Table Number`` (centred), ``Table Heading`` (bold), ``Table Group`` (bold
  group rows), ``Table Label 1``/``Table Label 2`` (indented labels), ``Table Note`` (footnotes
  under a table, 8 pt), ``Figure`` (a centred picture kept with its caption);
- ``Caption`` kept with the next paragraph (the table under a table caption); ``Title`` and
  ``Heading 1``-``3`` black in the heading font; ``Normal`` in the body font.

Fonts and sizes: the default preset of :mod:`hcctrial.analysis.word_fonts` (body Times New Roman
12 pt, headings and tables Arial), set by :func:`hcctrial.report.docx_fonts.apply_word_fonts` --
the function the report applies its preset with, so this file and the report agree. Run from the
repository:
``.venv/bin/python tools/make_reference_docx.py``; the file is committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OUT = (
    Path(__file__).resolve().parents[1] / "src" / "hcctrial" / "report" / "data" / "reference.docx"
)


def _paragraph_style(doc: Any, name: str, base: str, **fmt: Any) -> Any:
    """Define (or redefine) paragraph style ``name``: black, spacing, keep, alignment, indent;
    the font and size come from the preset (:func:`make_reference`)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt, RGBColor

    styles = doc.styles
    st = (
        styles[name]
        if name in [s.name for s in styles]
        else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    )
    st.base_style = styles[base] if base else None
    st.font.bold = fmt.pop("bold", False)
    st.font.italic = fmt.pop("italic", False)
    st.font.color.rgb = RGBColor(0, 0, 0)
    pf = st.paragraph_format
    pf.space_before = Pt(fmt.pop("before", 0))
    pf.space_after = Pt(fmt.pop("after", 0))
    pf.keep_with_next = fmt.pop("keep", False)
    if "align" in fmt:
        pf.alignment = fmt.pop("align")
    if "indent" in fmt:
        pf.left_indent = Pt(fmt.pop("indent"))
    st.quick_style = True
    assert not fmt, fmt
    _drop_theme(st.element)
    return st


def _drop_theme(el: Any) -> None:
    """Remove theme fonts and colours (they override the named font and black in Word) and the
    default template's coloured rule under the title."""
    from docx.oxml.ns import qn

    for fonts in el.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    for colour in el.iter(qn("w:color")):
        colour.attrib.pop(qn("w:themeColor"), None)
        colour.attrib.pop(qn("w:themeShade"), None)
    for border in list(el.iter(qn("w:pBdr"))):
        border.getparent().remove(border)


def _three_line_table_style(doc: Any) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    st = doc.styles.add_style("Three Line Table", WD_STYLE_TYPE.TABLE)
    el = st.element
    for child in list(el):
        if child.tag.endswith(("tblPr", "tblStylePr", "pPr", "rPr")):
            el.remove(child)
    el.append(
        parse_xml(
            f"<w:tblPr {nsdecls('w')}>"
            '<w:tblBorders><w:top w:val="single" w:sz="12" w:space="0" w:color="000000"/>'
            '<w:left w:val="nil"/><w:right w:val="nil"/>'
            '<w:bottom w:val="single" w:sz="12" w:space="0" w:color="000000"/>'
            '<w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders>'
            '<w:tblCellMar><w:top w:w="20" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
            '<w:bottom w:w="20" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
            "</w:tblPr>"
        )
    )
    el.append(
        parse_xml(
            f'<w:tblStylePr {nsdecls("w")} w:type="firstRow"><w:rPr><w:b/></w:rPr>'
            "<w:tcPr><w:tcBorders>"
            '<w:bottom w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
            "</w:tcBorders></w:tcPr></w:tblStylePr>"
        )
    )


def make_reference(path: Path = OUT) -> Path:
    """Write the reference document to ``path`` and return it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from hcctrial.analysis.word_fonts import DEFAULT_WORD_FONTS
    from hcctrial.report.docx_fonts import apply_word_fonts

    doc = Document()
    _paragraph_style(doc, "Normal", "", after=6)
    _paragraph_style(doc, "Title", "Normal", bold=True, after=6)
    _paragraph_style(doc, "Heading 1", "Normal", bold=True, before=12, after=6, keep=True)
    _paragraph_style(doc, "Heading 2", "Normal", bold=True, before=9, after=3, keep=True)
    _paragraph_style(doc, "Heading 3", "Normal", bold=True, italic=True, before=6, keep=True)
    _paragraph_style(doc, "Caption", "Normal", bold=False, before=6, after=3, keep=True)
    _paragraph_style(doc, "Table Text", "Normal")
    _paragraph_style(doc, "Table Number", "Table Text", align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Table Heading", "Table Text", bold=True)
    _paragraph_style(doc, "Table Group", "Table Text", bold=True)
    _paragraph_style(doc, "Table Label 1", "Table Text", indent=9)
    _paragraph_style(doc, "Table Label 2", "Table Text", indent=18)
    _paragraph_style(doc, "Table Note", "Normal", after=1)
    _paragraph_style(doc, "Figure", "Normal", before=6, keep=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Header", "Normal")
    _paragraph_style(doc, "Footer", "Normal", align=WD_ALIGN_PARAGRAPH.CENTER)
    _three_line_table_style(doc)
    apply_word_fonts(doc, DEFAULT_WORD_FONTS)
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    props = doc.core_properties
    props.author = "hcctrial"
    props.title = "hcctrial report reference styles"
    props.comments = "Named styles of the hcctrial report (tools/make_reference_docx.py)."
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(make_reference())
