"""The CONSORT 2010 flow diagram and the treatment-scheme panel (the paper's Figure 2).

Panel A, the flow, is built from the disposition counts (never drawn by hand): assessed for
eligibility, excluded with reasons, enrolled, treated (not treated), treatment discontinued with
reasons, lost to follow-up, analysed (and not assessable for response, with reasons). Panel B, the
treatment scheme, is drawn from the regimen file: the cycle length, the TACE-HAIC days, the
drugs of each component, the imaging calendar, the cap on HAIC cycles and the stopping rules.

Boxes are drawn as rectangles in an inch coordinate system sized from their wrapped text, so every
connector ends on a box edge and the text is the style's size at print width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hcctrial.report.figure_style import DEFAULT_STYLE, FigureStyle, new_figure, text_width_in
from hcctrial.report.inputs import Disposition

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hcctrial.protocol.schema import Regimen

__all__ = ["consort_figure"]

_PT = 1.0 / 72.0


def _wrap(
    fig: Figure, lines: Sequence[str], width_in: float, size_pt: float, *, bold_first: bool
) -> list[tuple[str, bool]]:
    """Wrap each line to ``width_in`` as measured by the renderer (bold for the first line
    when ``bold_first``); return (text, bold) per printed line. Bullets indent their
    continuation lines."""
    out: list[tuple[str, bool]] = []
    for k, line in enumerate(lines):
        bold = bold_first and k == 0
        indent = "   " if line.startswith("• ") else ""
        current = ""
        for word in line.split(" "):
            trial = f"{current} {word}" if current else word
            if current and text_width_in(fig, trial, size_pt, bold=bold) > width_in:
                out.append((current, bold))
                current = f"{indent}{word}"
            else:
                current = trial
        out.append((current, bold))
    return out


class _Canvas:
    """Boxes and arrows in inches, y downwards from the top of the flow."""

    def __init__(self, ax: Axes, style: FigureStyle, top: float) -> None:
        self.ax, self.style, self.top = ax, style, top

    def box(
        self,
        x0: float,
        y: float,
        w: float,
        lines: Sequence[str],
        *,
        left: bool = False,
        bold_first: bool = True,
    ) -> tuple[float, float, float, float]:
        """Draw a box whose top edge is at ``y`` below the top; return (x0, top, x1, bottom)."""
        from matplotlib.patches import Rectangle

        fs = self.style.small_pt
        pad = 0.05
        fig = self.ax.figure
        assert fig is not None
        wrapped = _wrap(fig, lines, w - 2 * pad, fs, bold_first=bold_first)  # type: ignore[arg-type]
        line_h = 1.25 * fs * _PT
        h = len(wrapped) * line_h + 2 * pad
        yt = self.top - y
        self.ax.add_patch(Rectangle((x0, yt - h), w, h, fill=False, lw=0.7, ec="black"))
        for i, (text, bold) in enumerate(wrapped):
            self.ax.text(
                x0 + (pad if left else w / 2),
                yt - pad - (i + 0.5) * line_h,
                text,
                ha="left" if left else "center",
                va="center",
                fontsize=fs,
                fontweight="bold" if bold else "normal",
            )
        return x0, y, x0 + w, y + h

    def arrow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.ax.annotate(
            "",
            (x1, self.top - y1),
            (x0, self.top - y0),
            arrowprops={
                "arrowstyle": "-|>",
                "lw": 0.7,
                "color": "black",
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 6,
            },
        )

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.ax.plot([x0, x1], [self.top - y0, self.top - y1], color="black", lw=0.7)


def _reasons(items: Sequence[tuple[str, int]]) -> list[str]:
    return [f"• {r}: {n}" for r, n in items]


def _flow(c: _Canvas, d: Disposition, width: float) -> float:
    """Draw the CONSORT flow; return its height (inches)."""
    gap = 0.16
    main_w = 0.42 * width
    side_x = main_w + 0.35
    side_w = width - side_x - 0.02
    cx = main_w / 2
    y = 0.0
    _, _, _, b = c.box(0.0, y, main_w, [f"Assessed for eligibility (n = {d.screened})"])
    n_excl = sum(n for _, n in d.excluded)
    side_top = b + gap
    sx = c.box(
        side_x, side_top, side_w, [f"Excluded (n = {n_excl})", *_reasons(d.excluded)], left=True
    )
    mid = (sx[1] + sx[3]) / 2
    c.arrow(cx, mid, side_x, mid)
    y = sx[3] + gap
    c.arrow(cx, b, cx, y)
    _, _, _, b = c.box(0.0, y, main_w, [f"Enrolled (n = {d.enrolled})"])
    y = b + gap
    c.arrow(cx, b, cx, y)
    _, _, _, b = c.box(0.0, y, main_w, [f"Received TACE-HAIC (n = {d.treated})"])
    side: list[list[str]] = []
    if d.enrolled - d.treated:
        side.append([f"Not treated (n = {d.enrolled - d.treated})"])
    n_disc = sum(n for _, n in d.discontinued)
    side.append([f"Treatment discontinued (n = {n_disc})", *_reasons(d.discontinued)])
    side.append([f"Lost to follow-up (n = {d.lost_to_follow_up})"])
    if d.not_analysed:
        n_late = sum(n for _, n in d.not_analysed)
        side.append([f"Not analysed yet (n = {n_late})", *_reasons(d.not_analysed)])
    n_na = d.treated - d.assessable
    side.append([f"Not assessable for response (n = {n_na})", *_reasons(d.not_assessable)])
    y_side = b + gap
    mids = []
    for lines in side:
        bx = c.box(side_x, y_side, side_w, lines, left=True)
        mids.append((bx[1] + bx[3]) / 2)
        y_side = bx[3] + gap / 2
    y = y_side + gap / 2
    for m in mids:
        c.arrow(cx, m, side_x, m)
    c.arrow(cx, b, cx, y)
    _, _, _, b = c.box(
        0.0,
        y,
        main_w,
        [
            f"Analysed (n = {d.analysed})",
            "intention to treat: survival and safety",
            f"response assessable: {d.assessable}",
        ],
    )
    return b


def _scheme(c: _Canvas, regimen: Regimen, y0: float, width: float) -> float:
    """Draw the treatment scheme of ``regimen`` from ``y0``; return its bottom (inches)."""
    fs = c.style.small_pt
    line_h = 1.25 * fs * _PT
    cyc = regimen.cycle
    days = "–".join(str(x) for x in (cyc.tace_haic_days[0], cyc.tace_haic_days[-1]))
    left = 0.0
    label_w = 0.0
    x_start = left + label_w
    span = width - x_start - 0.05
    per_cycle = span / 2.6
    top = y0
    # sorafenib bar
    so = regimen.sorafenib
    y = top
    if so is not None:
        c.box(
            x_start,
            y,
            span,
            [f"Sorafenib {so.start_schedule}, continuous (oral)"],
            bold_first=False,
        )
        y += line_h + 0.1 + 0.08
    # TACE-HAIC blocks per cycle
    tace = ", ".join(d.name for d in regimen.drugs if d.component == "tace")
    haic = ", ".join(f"{d.name} {d.duration_h:g} h" for d in regimen.drugs if d.component == "haic")
    block_w = 0.9 * per_cycle
    bottoms = []
    for k in range(2):
        bx = c.box(
            x_start + k * per_cycle,
            y,
            block_w,
            [f"Cycle {k + 1}: TACE-HAIC, days {days}", f"TACE: {tace}", f"HAIC: {haic}"],
            left=True,
        )
        bottoms.append(bx[3])
    c.ax.text(
        x_start + 2 * per_cycle + 0.05,
        c.top - y - line_h,
        "…",
        fontsize=fs + 2,
        ha="left",
        va="center",
    )
    y = max(bottoms) + 0.08
    arrow_y = y + 0.04
    c.arrow(x_start, arrow_y, x_start + per_cycle, arrow_y)
    c.arrow(x_start + per_cycle, arrow_y, x_start, arrow_y)
    c.ax.text(
        x_start + per_cycle / 2,
        c.top - arrow_y - 0.03,
        f"{cyc.min_weeks}–{cyc.max_weeks} weeks",
        ha="center",
        va="top",
        fontsize=fs,
    )
    y = arrow_y + line_h + 0.08
    sch = regimen.schedule
    notes = [
        f"Response (mRECIST) every {sch.imaging_every_n_cycles} cycles; every "
        f"{sch.maintenance_imaging_every_months} months in maintenance.",
        f"At most {cyc.max_haic_cycles} HAIC cycles; treatment until progression, intolerable "
        "toxicity or death.",
    ]
    _, _, _, b = c.box(x_start, y, span, notes, left=True, bold_first=False)
    return b


def consort_figure(
    d: Disposition, regimen: Regimen | None = None, style: FigureStyle = DEFAULT_STYLE
) -> Figure:
    """CONSORT 2010 flow (A) and, given the regimen, the treatment scheme (B)."""
    from matplotlib.figure import Figure as _F

    width = style.width_in - 0.25

    def draw(fig: _F, height: float) -> float:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(-0.2, style.width_in - 0.2)
        ax.set_ylim(0, height)
        ax.axis("off")
        c = _Canvas(ax, style, height - 0.25)
        letter = style.font_pt + 2
        if regimen is not None:
            ax.text(-0.15, height - 0.05, "A", fontsize=letter, fontweight="bold", va="top")
        bottom = _flow(c, d, width)
        if regimen is not None:
            y = bottom + 0.3
            ax.text(-0.15, c.top - y + 0.2, "B", fontsize=letter, fontweight="bold", va="top")
            ax.text(
                0.0,
                c.top - y + 0.12,
                "Treatment scheme",
                fontsize=style.font_pt,
                fontweight="bold",
                va="bottom",
            )
            bottom = _scheme(c, regimen, y, width)
        return bottom + 0.25 + 0.1

    probe = new_figure(20.0, style)
    needed = draw(probe, 20.0)
    fig = new_figure(needed, style)
    draw(fig, needed)
    return fig
