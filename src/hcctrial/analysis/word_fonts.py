"""The fonts of the report's Word file as journals ask for them: one keeper for the plan's
``[outputs] word_fonts``, ``hcctrial report --word-fonts`` and the Word renderer.

Author guidelines for manuscripts name a font and a size for the running text, and rarely more;
the three presets cover what they ask for:

- ``times`` (the default): body Times New Roman 12 pt, headings, tables and the running header in
  Arial -- the classic "double-spaced 12-point Times New Roman" manuscript request;
- ``arial``: everything in Arial, body 11 pt -- for journals asking for a sans-serif font
  (Arial or Helvetica) throughout;
- ``calibri``: everything in Calibri, body 11 pt -- Word's own default since 2007, for journals
  that accept "a standard font" and editors who work from Word's defaults.

How the named styles of the Word file take a preset (which style gets the body or the heading
font, at what size) is :mod:`hcctrial.report.docx_fonts`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_WORD_FONTS", "WORD_FONTS", "WordFonts", "word_fonts"]


@dataclass(frozen=True)
class WordFonts:
    """A font preset: ``body`` font of the running text at ``body_pt``, ``heading`` font of the
    title, headings, tables, header and footer; ``use`` says which journals ask for it."""

    name: str
    body: str
    body_pt: float
    heading: str
    use: str

    def describe(self) -> str:
        """The preset in words, e.g. ``Times New Roman 12 pt body, Arial headings``."""
        if self.body == self.heading:
            return f"{self.body} {self.body_pt:g} pt throughout"
        return f"{self.body} {self.body_pt:g} pt body, {self.heading} headings"


#: The presets, by name (see the module docstring for why these three).
WORD_FONTS: dict[str, WordFonts] = {
    p.name: p
    for p in (
        WordFonts("times", "Times New Roman", 12.0, "Arial", "the classic manuscript request"),
        WordFonts("arial", "Arial", 11.0, "Arial", "journals asking for a sans-serif font"),
        WordFonts("calibri", "Calibri", 11.0, "Calibri", "Word's default font"),
    )
}
DEFAULT_WORD_FONTS = "times"


def word_fonts(name: str) -> WordFonts:
    """Return the preset called ``name`` (case and surrounding spaces ignored).

    Raises ValueError naming the value and the presets there are.
    """
    preset = WORD_FONTS.get(str(name).strip().lower())
    if preset is None:
        allowed = ", ".join(f"'{p.name}' ({p.describe()})" for p in WORD_FONTS.values())
        raise ValueError(f"word fonts: got {name!r}; expected one of {allowed}")
    return preset
