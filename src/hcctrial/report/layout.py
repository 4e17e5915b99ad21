"""Layout check of a drawn figure from matplotlib's own text extents.

:func:`layout_problems` draws the figure with its renderer and asks every visible text artist
(titles, axis and tick labels, legend entries, annotations, free text) for its window extent
(``Text.get_window_extent(renderer)``, in display pixels): a text that leaves the canvas, or two
texts whose boxes overlap, is a problem named by the texts. Used by the report's tests on every
figure and by :func:`hcctrial.report.figures.save_figure` (``check=True``) while it draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["layout_problems", "visible_texts"]

#: Pixels a text box may touch the canvas edge or another box by (antialiasing of glyph edges).
TOLERANCE_PX = 0.5


def visible_texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text artist of ``fig`` (recursively through axes and legends)."""
    from matplotlib.text import Text

    found: list[Text] = []
    for artist in fig.findobj(match=Text):
        if not isinstance(artist, Text) or not artist.get_visible():
            continue
        if not artist.get_text().strip():
            continue
        ax = artist.axes
        if ax is not None and not ax.get_visible():
            continue
        found.append(artist)
    return found


def _undrawn_tick_labels(fig: Figure) -> set[int]:
    """Ids of tick labels matplotlib keeps but does not draw (their tick is outside the view)."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not lo - 1e-9 * span <= loc <= hi + 1e-9 * span:
                    hidden.update((id(tick.label1), id(tick.label2)))
    return hidden


def layout_problems(fig: Figure) -> list[str]:
    """Return the layout problems of ``fig``: texts leaving the canvas, texts overlapping.

    Each problem names the text(s) so a failing test says which label to move.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas: Any = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    tol = TOLERANCE_PX
    hidden = _undrawn_tick_labels(fig)
    boxes = []
    for t in visible_texts(fig):
        if id(t) in hidden:
            continue
        box = t.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            boxes.append((t, box))
    problems: list[str] = []
    for t, b in boxes:
        if b.x0 < -tol or b.y0 < -tol or b.x1 > width + tol or b.y1 > height + tol:
            problems.append(
                f"text {t.get_text()!r} leaves the canvas: box ({b.x0:.0f}, {b.y0:.0f})–"
                f"({b.x1:.0f}, {b.y1:.0f}) px on a {width:.0f} × {height:.0f} px canvas"
            )
    for i, (t, a) in enumerate(boxes):
        for s, b in boxes[i + 1 :]:
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > tol and dy > tol:
                problems.append(f"texts {t.get_text()!r} and {s.get_text()!r} overlap")
    return problems
