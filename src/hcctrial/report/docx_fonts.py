"""A font preset (:mod:`hcctrial.analysis.word_fonts`) applied to the named styles of the Word file.

The fonts live in the styles only -- ``Normal``, ``Title``, ``Heading 1-3``, ``Caption``,
``Figure``, the ``Table ...`` paragraph styles, ``Header``/``Footer``, the ``Three Line Table``
table style and the document defaults -- never on a run, so a journal's template or an editor's
change of one style restyles the whole document. Each style's ``w:rFonts`` names the font for
every script (``ascii``, ``hAnsi``, ``eastAsia``, ``cs``) with the theme fonts removed (a theme
font overrides the named one in Word), and its size is set for Latin and complex scripts
(``w:sz``, ``w:szCs``).

Which font each style takes and at what size is :func:`style_fonts`: the running text, captions
and figures in the body font, at the body size (captions 2 pt smaller); the title and headings in
the heading font, larger than the body (+4, +2, +1, +0 pt); tables, notes, header and footer in
the heading font at the fixed small sizes their column widths were fitted for
(:mod:`hcctrial.report.docx_layout`: 8.5 pt).
"""

from __future__ import annotations

from typing import Any

from hcctrial.analysis.word_fonts import WordFonts, word_fonts

__all__ = ["apply_word_fonts", "style_fonts"]

#: Style -> (font role, size offset from the body size in pt); the role is ``body`` or ``heading``.
_RELATIVE: dict[str, tuple[str, float]] = {
    "Normal": ("body", 0.0),
    "Figure": ("body", 0.0),
    "Caption": ("body", -2.0),
    "Title": ("heading", 4.0),
    "Heading 1": ("heading", 2.0),
    "Heading 2": ("heading", 1.0),
    "Heading 3": ("heading", 0.0),
}
#: Style -> (font role, fixed size in pt): the tables and the page furniture.
_FIXED: dict[str, tuple[str, float]] = {
    "Three Line Table": ("heading", 8.5),
    "Table Text": ("heading", 8.5),
    "Table Number": ("heading", 8.5),
    "Table Heading": ("heading", 8.5),
    "Table Group": ("heading", 8.5),
    "Table Label 1": ("heading", 8.5),
    "Table Label 2": ("heading", 8.5),
    "Table Note": ("heading", 8.0),
    "Header": ("heading", 8.0),
    "Footer": ("heading", 8.0),
}
_SCRIPTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
_THEMES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def style_fonts(preset: WordFonts | str) -> dict[str, tuple[str, float]]:
    """Return style name -> (font family, size in pt) for ``preset`` (a preset or its name)."""
    p = preset if isinstance(preset, WordFonts) else word_fonts(preset)
    family = {"body": p.body, "heading": p.heading}
    out = {name: (family[role], p.body_pt + delta) for name, (role, delta) in _RELATIVE.items()}
    out.update({name: (family[role], size) for name, (role, size) in _FIXED.items()})
    return out


def _set_rpr(rpr: Any, family: str, size_pt: float | None) -> None:
    """Name ``family`` for every script in ``rpr`` (theme fonts dropped) and set its size."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in _THEMES:
        fonts.attrib.pop(qn(attr), None)
    for attr in _SCRIPTS:
        fonts.set(qn(attr), family)
    if size_pt is None:
        return
    half_points = str(round(size_pt * 2))
    sz = rpr.get_or_add_sz()
    sz.set(qn("w:val"), half_points)
    sz_cs = rpr.find(qn("w:szCs"))
    if sz_cs is None:
        sz_cs = OxmlElement("w:szCs")
        sz.addnext(sz_cs)  # w:szCs follows w:sz in the schema's order
    sz_cs.set(qn("w:val"), half_points)


def apply_word_fonts(doc: Any, preset: WordFonts | str) -> WordFonts:
    """Set the fonts and sizes of ``preset`` on the named styles of ``doc`` (a python-docx
    Document) and on its document defaults; return the preset. A style the document lacks is
    skipped (a journal's reference document need not define them all)."""
    p = preset if isinstance(preset, WordFonts) else word_fonts(preset)
    names = {s.name for s in doc.styles}
    for name, (family, size) in style_fonts(p).items():
        if name in names:
            _set_rpr(doc.styles[name].element.get_or_add_rPr(), family, size)
    defaults = doc.styles.element.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}docDefaults"
    )
    if defaults is not None:
        from docx.oxml.ns import qn

        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:  # text in no named style: the body font, theme fonts dropped
            _set_rpr(rpr, p.body, None)
    return p
