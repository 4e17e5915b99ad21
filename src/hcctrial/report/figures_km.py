"""Kaplan-Meier figures: the curves and, as their own panel aligned on the same x axis, the table
of the number at risk with full strata labels.

:func:`draw_km` draws one KM panel into a box of a figure (inches), so the same code draws the
single figures and the four panels of the paper's Figure 4 (:func:`km_panels_figure`). The
curve is the engine's right-continuous step function
(:class:`~hcctrial.stats.kaplan_meier.KaplanMeierCurve`) with censor ticks, an optional pointwise
CI band per group, dotted median lines with labels stacked so they never collide, groups told
apart by line style as well as colour, and a legend without a title (the caption carries it). The
risk table prints the engine's :func:`~hcctrial.stats.kaplan_meier.risk_grid` at the x ticks (at
risk = time >= tick, R's convention; cumulative events / censored below). Figures carry no title:
journals print the caption under them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hcctrial.report.figure_style import (
    COLOURS,
    DEFAULT_STYLE,
    LINESTYLES,
    FigureStyle,
    new_figure,
    text_width_in,
)
from hcctrial.stats.kaplan_meier import KaplanMeierCurve, RiskGrid
from hcctrial.stats.km_quantiles import SurvivalQuantile

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "KMPanel",
    "KMPlot",
    "default_ticks",
    "draw_km",
    "km_figure",
    "km_panels_figure",
    "month_ticks",
]

_PT = 1.0 / 72.0  # inches per point


@dataclass(frozen=True)
class KMPlot:
    """A drawn Kaplan-Meier figure and the risk grids printed under it (one per curve)."""

    figure: Figure
    grids: tuple[RiskGrid, ...]
    ticks: tuple[float, ...]


@dataclass(frozen=True)
class KMPanel:
    """What one KM panel shows: curves, their names (full strata labels), medians, the group
    comparison in words, the y-axis label and whether to draw CI bands."""

    curves: Sequence[KaplanMeierCurve]
    ylabel: str
    names: Sequence[str] | None = None
    medians: Sequence[SurvivalQuantile | None] | None = None
    comparison: str | None = None
    ci_band: bool = False
    ticks: Sequence[float] | None = None


def month_ticks(tmax: float) -> tuple[float, ...]:
    """Ticks every 6 months (every 12 beyond 48 months) from 0 to past ``tmax``: the one rule of
    every time axis of the report (KM, swimmer, spider)."""
    step = 6.0 if tmax <= 48 else 12.0
    k = max(1, math.ceil(tmax / step))
    return tuple(step * i for i in range(k + 1))


def default_ticks(curves: Sequence[KaplanMeierCurve]) -> tuple[float, ...]:
    """Return :func:`month_ticks` up to the last time of ``curves``."""
    return month_ticks(max((float(c.time[-1]) for c in curves if c.time.size), default=6.0))


def _step_xy(curve: KaplanMeierCurve, y: Any) -> tuple[list[float], list[float]]:
    return [0.0, *curve.time.tolist()], [1.0, *list(y)]


def _names(panel: KMPanel) -> list[str]:
    given = list(panel.names or [])
    return [
        given[k] if k < len(given) else (c.label or "All patients")
        for k, c in enumerate(panel.curves)
    ]


def _draw_curves(ax: Axes, panel: KMPanel, names: Sequence[str], style: FigureStyle) -> None:
    import numpy as np

    for k, c in enumerate(panel.curves):
        col, ls = COLOURS[k % len(COLOURS)], LINESTYLES[k % len(LINESTYLES)]
        x, y = _step_xy(c, c.surv.tolist())
        ax.step(x, y, where="post", color=col, ls=ls, lw=1.2, label=names[k])
        cens = c.n_censor > 0
        ax.plot(c.time[cens], c.surv[cens], "|", color=col, ms=4, mew=0.8)
        if panel.ci_band:
            lo = np.nan_to_num(np.asarray(c.lower, dtype=float), nan=0.0)
            up = np.nan_to_num(np.asarray(c.upper, dtype=float), nan=1.0)
            xl, yl = _step_xy(c, lo.tolist())
            _, yu = _step_xy(c, up.tolist())
            ax.fill_between(xl, yl, yu, step="post", color=col, alpha=0.13, lw=0)
    del style


def _draw_medians(fig: Figure, ax: Axes, panel: KMPanel, style: FigureStyle) -> None:
    """Dotted lines to each reached median and its value just above the x axis; labels that
    would touch are lifted one line at a time (measured by the renderer)."""
    meds = list(panel.medians or [])
    texts = []
    for k, med in enumerate(meds):
        if med is None or med.estimate is None:
            continue
        col = COLOURS[k % len(COLOURS)]
        ax.plot([0, med.estimate, med.estimate], [0.5, 0.5, 0.0], ls=":", color=col, lw=0.8)
        t = ax.annotate(
            f"{med.estimate:.1f}",
            (med.estimate, 0.0),
            xytext=(2, 2),
            textcoords="offset points",
            color=col,
            fontsize=style.small_pt,
        )
        texts.append(t)
    if len(texts) < 2:
        return
    renderer: Any = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list[Any] = []
    for t in sorted(texts, key=lambda a: a.xy[0]):
        lift = 2.0
        while True:
            t.set_position((2, lift))
            box = t.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in placed):
                break
            lift += style.small_pt * 1.15
        placed.append(t.get_window_extent(renderer))


def _draw_comparison(fig: Figure, ax: Axes, text: str, style: FigureStyle) -> None:
    """The HR and log-rank p at the right, under the legend (measured after the legend)."""
    renderer: Any = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    leg = ax.get_legend()
    top = 0.98
    if leg is not None:
        box = leg.get_window_extent(renderer).transformed(ax.transAxes.inverted())
        top = box.y0 - 0.02
    ax.text(0.98, top, text, transform=ax.transAxes, ha="right", va="top", fontsize=style.small_pt)


def _risk_table(
    fig: Figure,
    axt: Axes,
    x0_frac: float,
    panel: KMPanel,
    names: Sequence[str],
    grids: Sequence[RiskGrid],
    style: FigureStyle,
) -> None:
    from matplotlib.transforms import blended_transform_factory

    n_rows = 2 * len(panel.curves)
    axt.set_ylim(n_rows - 0.5, -1.5)
    axt.axis("off")
    left = blended_transform_factory(fig.transFigure, axt.transData)
    axt.text(
        x0_frac,
        -1.0,
        "Number at risk (cumulative events / censored)",
        transform=left,
        ha="left",
        va="center",
        fontsize=style.small_pt,
        fontweight="bold",
    )
    for k, g in enumerate(grids):
        col = COLOURS[k % len(COLOURS)]
        r_risk, r_ev = 2 * k, 2 * k + 1
        axt.text(
            x0_frac,
            r_risk,
            names[k],
            transform=left,
            ha="left",
            va="center",
            color=col,
            fontsize=style.small_pt,
        )
        for i, t in enumerate(g.ticks):
            axt.text(
                t,
                r_risk,
                str(g.n_risk[i]),
                ha="center",
                va="center",
                color=col,
                fontsize=style.small_pt,
                gid=f"risk-{k}-{i}",
            )
            axt.text(
                t,
                r_ev,
                f"{g.cum_event[i]}/{g.cum_censor[i]}",
                ha="center",
                va="center",
                color="#444444",
                fontsize=style.small_pt,
                gid=f"evcens-{k}-{i}",
            )


def _left_margin_in(
    fig: Figure, names: Sequence[str], curves: Sequence[KaplanMeierCurve], style: FigureStyle
) -> float:
    """Room left of the plot: the longest strata label, or the y tick labels and axis label."""
    n = max((c.n for c in curves), default=0)
    # the label, then half the first count (centred on t = 0), then a gap
    label_w = max(text_width_in(fig, n_, style.small_pt) for n_ in names)
    label_w += 0.5 * text_width_in(fig, f"{n}/{n}", style.small_pt) + 0.06
    axis_w = text_width_in(fig, "100", style.small_pt) + 2.6 * style.font_pt * _PT
    return max(label_w + 0.1, axis_w)


def _fitted_ticks(
    fig: Figure, curves: Sequence[KaplanMeierCurve], width_in: float, style: FigureStyle
) -> tuple[float, ...]:
    """:func:`default_ticks`, with the step doubled until the widest risk-table entry (events /
    censored) fits between two ticks."""
    ticks = default_ticks(curves)
    n = max(c.n for c in curves) if curves else 0
    widest = text_width_in(fig, f"{n}/{n}", style.small_pt) * 1.25
    while len(ticks) > 2 and width_in / (len(ticks) - 1) < widest:
        step = 2 * (ticks[1] - ticks[0])
        k = math.ceil(ticks[-1] / step)
        ticks = tuple(step * i for i in range(k + 1))
    return ticks


def panel_height_in(panel: KMPanel, width_in: float, style: FigureStyle) -> float:
    """The height a KM panel of ``width_in`` needs: the plot and its risk table."""
    row = 1.45 * style.small_pt * _PT
    table = (2 * len(panel.curves) + 1.5) * row
    plot = min(max(0.5 * width_in, 1.7), 3.0)
    return plot + table + 3.2 * style.font_pt * _PT


def draw_km(
    fig: Figure,
    box: tuple[float, float, float, float],
    panel: KMPanel,
    *,
    xlabel: str = "Months since first TACE-HAIC",
    style: FigureStyle = DEFAULT_STYLE,
    letter: str | None = None,
) -> tuple[Axes, Axes, tuple[RiskGrid, ...], tuple[float, ...]]:
    """Draw one KM panel into ``box`` = (x0, y0, width, height) in inches of ``fig``."""
    from hcctrial.stats.kaplan_meier import risk_grid

    fw, fh = fig.get_size_inches()
    x0, y0, w, h = box
    curves = panel.curves
    names = _names(panel)
    row = 1.45 * style.small_pt * _PT
    table_h = (2 * len(curves) + 1.5) * row
    left = _left_margin_in(fig, names, curves, style)
    right = 0.5 * text_width_in(fig, "1000/100", style.small_pt) + 0.04
    tk = tuple(
        float(t)
        for t in (
            panel.ticks
            if panel.ticks is not None
            else _fitted_ticks(fig, curves, w - left - right, style)
        )
    )
    grids = tuple(risk_grid(c, tk) for c in curves)
    gap = 3.0 * style.font_pt * _PT  # x tick labels and the x label between plot and table
    top = 0.06 + (1.3 * style.font_pt * _PT if letter else 0.0)
    plot_h = h - table_h - gap - top
    aw = w - left - right
    ax = fig.add_axes(((x0 + left) / fw, (y0 + table_h + gap) / fh, aw / fw, plot_h / fh))
    axt = fig.add_axes(((x0 + left) / fw, y0 / fh, aw / fw, table_h / fh), sharex=ax)
    _draw_curves(ax, panel, names, style)
    ax.set_ylim(0, 1.03)
    ax.set_xlim(tk[0], tk[-1])
    ax.set_xticks(tk)
    ax.set_xticklabels([f"{t:g}" for t in tk])
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0", "25", "50", "75", "100"])
    ax.set_ylabel(f"{panel.ylabel} (%)")
    ax.set_xlabel(xlabel, labelpad=2)
    if len(curves) > 1:
        ax.legend(loc="upper right", frameon=False, handlelength=2.6, borderaxespad=0.2)
    _draw_medians(fig, ax, panel, style)
    if panel.comparison:
        _draw_comparison(fig, ax, panel.comparison, style)
    _risk_table(fig, axt, x0 / fw, panel, names, grids, style)
    if letter:
        fig.text(
            x0 / fw,
            (y0 + h - 0.03) / fh,
            letter,
            ha="left",
            va="top",
            fontsize=style.font_pt + 2,
            fontweight="bold",
        )
    return ax, axt, grids, tk


def km_figure(
    curves: Sequence[KaplanMeierCurve],
    *,
    ylabel: str,
    title: str | None = None,
    names: Sequence[str] | None = None,
    xlabel: str = "Months since first TACE-HAIC",
    medians: Sequence[SurvivalQuantile | None] | None = None,
    comparison: str | None = None,
    ci_band: bool = False,
    ticks: Sequence[float] | None = None,
    style: FigureStyle = DEFAULT_STYLE,
) -> KMPlot:
    """Draw one KM figure (curves above, the risk table below) at the style's print width.

    ``title`` is not drawn (journals print the caption); it is kept for callers that pass it.
    ``names``: full strata labels (default: each curve's label).
    """
    del title
    panel = KMPanel(curves, ylabel, names, medians, comparison, ci_band, ticks)
    h = panel_height_in(panel, style.width_in, style)
    fig = new_figure(h, style)
    _, _, grids, tk = draw_km(
        fig, (0.0, 0.02, style.width_in, h - 0.02), panel, xlabel=xlabel, style=style
    )
    return KMPlot(fig, grids, tk)


def km_panels_figure(
    panels: Sequence[KMPanel],
    *,
    xlabel: str = "Months since first TACE-HAIC",
    style: FigureStyle = DEFAULT_STYLE,
) -> Figure:
    """Several KM panels lettered A, B, C ... in one figure: two per row at double width, one
    per row in a single column (the paper's Figure 4 is four)."""
    per_row = 2 if style.width_mm >= 150.0 else 1
    w = style.width_in / per_row
    n_rows = math.ceil(len(panels) / per_row)
    heights = [
        max(panel_height_in(p, w, style) for p in panels[r * per_row : (r + 1) * per_row])
        for r in range(n_rows)
    ]
    total = sum(heights) + 0.1 * n_rows
    fig = new_figure(total, style)
    y = total
    for r in range(n_rows):
        y -= heights[r] + 0.1
        for j, p in enumerate(panels[r * per_row : (r + 1) * per_row]):
            k = r * per_row + j
            pad = 0.08 if j else 0.0
            draw_km(
                fig,
                (j * w + pad, y + 0.02, w - pad, heights[r]),
                p,
                xlabel=xlabel,
                style=style,
                letter=chr(ord("A") + k),
            )
    return fig
