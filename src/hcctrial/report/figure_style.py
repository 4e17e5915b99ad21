"""The look of the report's figures at the size they are printed: width, fonts, colours, lines.

A :class:`FigureStyle` is made from the journal preset (:func:`figure_style`: ``single`` 85 mm,
``double`` 174 mm, or mm; the width rule is :mod:`hcctrial.analysis.figure_width`). Figures are
drawn at their print width in inches with fonts in points, so the sizes here are the sizes on
paper: never below 6 pt (the smallest most journals accept). Groups differ by line style and
marker as well as colour (Okabe-Ito), so they stay apart in grayscale; bars carry a hatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hcctrial.analysis.figure_width import figure_width_mm

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "COLOURS",
    "DEFAULT_STYLE",
    "HATCHES",
    "LINESTYLES",
    "MIN_FONT_PT",
    "RESPONSE_COLOURS",
    "RESPONSE_HATCHES",
    "FigureStyle",
    "figure_style",
    "new_figure",
]

#: Curve colours (colour-blind safe, Okabe-Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: Line styles paired with :data:`COLOURS` (the grayscale cue).
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 2)))
#: Bar hatches paired with :data:`COLOURS`.
HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "++")
#: Best-response colours and hatches for waterfall, swimmer and spider plots.
RESPONSE_COLOURS = {
    "CR": "#009E73",
    "PR": "#0072B2",
    "SD": "#E69F00",
    "PD": "#D55E00",
    "NE": "#999999",
}
RESPONSE_HATCHES = {"CR": "", "PR": "////", "SD": "....", "PD": "xxxx", "NE": "\\\\\\\\"}
RESPONSE_WORDS = {
    "CR": "Complete response",
    "PR": "Partial response",
    "SD": "Stable disease",
    "PD": "Progressive disease",
    "NE": "Not evaluable",
}
#: The smallest font on paper, in points.
MIN_FONT_PT = 6.0


@dataclass(frozen=True)
class FigureStyle:
    """Print width (mm) and font sizes (pt on paper) of a figure."""

    width_mm: float = 174.0
    font_pt: float = 8.0

    @property
    def width_in(self) -> float:
        """The width in inches (matplotlib's unit)."""
        return self.width_mm / 25.4

    @property
    def small_pt(self) -> float:
        """Secondary text (risk-table counts, annotations): one point smaller, never below 6."""
        return max(MIN_FONT_PT, self.font_pt - 1.0)

    @property
    def narrow(self) -> bool:
        """True for a single-column figure (panels stack instead of sitting side by side)."""
        return self.width_mm < 120.0


def figure_style(width: str | float = "double") -> FigureStyle:
    """The style of a journal preset: 7 pt text in a single column, 8 pt wider."""
    mm = figure_width_mm(width)
    return FigureStyle(mm, 7.0 if mm < 120.0 else 8.0)


DEFAULT_STYLE = figure_style("double")


def _rc(style: FigureStyle) -> dict[str, Any]:
    return {
        "svg.fonttype": "none",  # text stays text in the SVG (small, searchable)
        "svg.hashsalt": "hcctrial",  # deterministic ids
        "font.size": style.font_pt,
        "axes.titlesize": style.font_pt,
        "axes.labelsize": style.font_pt,
        "xtick.labelsize": style.small_pt,
        "ytick.labelsize": style.small_pt,
        "legend.fontsize": style.small_pt,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "hatch.linewidth": 0.5,
    }


def new_figure(height_in: float, style: FigureStyle = DEFAULT_STYLE) -> Figure:
    """Return a matplotlib Figure of the style's width, not managed by pyplot (no GUI state)."""
    import matplotlib

    params: Any = matplotlib.rcParams  # typed keys; ours are valid names
    params.update(_rc(style))
    from matplotlib.figure import Figure

    return Figure(figsize=(style.width_in, height_in), layout=None)


def text_width_in(fig: Figure, text: str, size_pt: float, *, bold: bool = False) -> float:
    """The width in inches ``text`` takes at ``size_pt`` (matplotlib's own measure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.font_manager import FontProperties

    canvas: Any = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    prop = FontProperties(size=size_pt, weight="bold" if bold else "normal")
    w = max(
        renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
        for line in text.split("\n")
    )
    return float(w) / fig.dpi
