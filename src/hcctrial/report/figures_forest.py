"""The subgroup forest plot: one row per subgroup level, with the columns journals print (N,
events, HR (95 % CI), log-rank p) aligned beside the plot, the reference level as its own row
("1 (reference)"), squares sized by the precision of each estimate (area proportional to the
inverse variance of log HR) and "favours" labels under the axis.

The text columns are measured with the renderer, so they align and fit at every print width; the
figure is never narrower than :data:`MIN_WIDTH_MM` (1.5 columns).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hcctrial.analysis.results import SubgroupResult
from hcctrial.report.figure_style import (
    COLOURS,
    DEFAULT_STYLE,
    FigureStyle,
    new_figure,
    text_width_in,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ForestRow", "forest_figure", "forest_rows"]

_PT = 1.0 / 72.0
#: The narrowest forest plot (1.5 columns): its five text columns and the plot do not fit a
#: single 85-mm column at 6 pt, so the single-column preset draws it this wide.
MIN_WIDTH_MM = 120.0


@dataclass(frozen=True)
class ForestRow:
    """One row: label and indent (0 endpoint, 1 subgroup, 2 level), the N/events/HR/p texts and,
    for a non-reference level, (HR, lower, upper)."""

    label: str
    indent: int
    n: str = ""
    events: str = ""
    hr_text: str = ""
    p: str = ""
    estimate: tuple[float, float, float] | None = None


def _default_p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def forest_rows(
    panels: Sequence[tuple[str, Sequence[SubgroupResult]]],
    p_text: Callable[[float | None], str] = _default_p,
) -> list[ForestRow]:
    """The rows of the forest plot, endpoint by endpoint, subgroup by subgroup."""
    rows: list[ForestRow] = []
    for label, results in panels:
        rows.append(ForestRow(label, 0))
        for sg in results:
            p = p_text(sg.logrank.p) if sg.logrank is not None else ""
            rows.append(ForestRow(sg.label, 1, p=p))
            for k, (lv, c) in enumerate(zip(sg.levels, sg.curves, strict=True)):
                h = sg.hazard_ratio(lv)
                if k == 0:
                    text, est = "1 (reference)", None
                elif h is None:
                    text, est = "not estimable", None
                else:
                    text = f"{h[0]:.2f} ({h[1]:.2f}–{h[2]:.2f})"
                    est = (h[0], h[1], h[2])
                rows.append(ForestRow(lv, 2, str(c.n), str(c.events), text, "", est))
    return rows


def _limits(rows: Sequence[ForestRow]) -> tuple[float, float]:
    los = [r.estimate[1] for r in rows if r.estimate and r.estimate[1] > 0]
    ups = [r.estimate[2] for r in rows if r.estimate and math.isfinite(r.estimate[2])]
    lo = max(min([0.5, *los]) / 1.15, 1 / 64)
    up = min(max([2.0, *ups]) * 1.15, 64.0)
    return lo, up


def forest_figure(
    panels: Sequence[tuple[str, Sequence[SubgroupResult]]],
    style: FigureStyle = DEFAULT_STYLE,
    p_text: Callable[[float | None], str] = _default_p,
) -> Figure:
    """Draw the forest plot of ``panels`` = (endpoint label, subgroup results) at print width."""
    from matplotlib.ticker import FixedLocator, NullLocator
    from matplotlib.transforms import blended_transform_factory

    if style.width_mm < MIN_WIDTH_MM:
        style = replace(style, width_mm=MIN_WIDTH_MM)
    rows = forest_rows(panels, p_text)
    fs = style.small_pt
    row_in = 1.55 * fs * _PT
    header_in = 1.8 * fs * _PT
    bottom_in = 4.4 * style.font_pt * _PT
    h = row_in * len(rows) + header_in + bottom_in + 0.1
    fig = new_figure(h, style)
    fw = style.width_in
    indent_in = 0.09

    def w(texts: Sequence[str], bold: bool = False) -> float:
        return max(text_width_in(fig, t, fs, bold=bold) for t in texts)

    # endpoint headings (indent 0) have no other cells: they may run across the columns
    label_w = max(w([r.label], r.indent < 2) + r.indent * indent_in for r in rows if r.indent)
    cols = {
        "n": w(["N", *(r.n for r in rows)], True),
        "events": w(["Events", *(r.events for r in rows)], True),
        "hr": w(["HR (95 % CI)", *(r.hr_text for r in rows)], True),
        "p": w(["p", *(r.p for r in rows)], True),
    }
    gap = 0.1
    x = label_w + gap
    pos: dict[str, float] = {}
    for key in ("n", "events"):
        pos[key] = x + cols[key]  # right-aligned numbers
        x += cols[key] + gap
    plot_left = x
    right_block = cols["hr"] + gap + cols["p"] + 0.05
    plot_w = fw - plot_left - right_block - gap
    pos["hr"] = plot_left + plot_w + gap
    pos["p"] = pos["hr"] + cols["hr"] + gap + cols["p"]
    ax = fig.add_axes((plot_left / fw, bottom_in / h, plot_w / fw, row_in * len(rows) / h))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    lo, up = _limits(rows)
    ax.set_xscale("log")
    ax.set_xlim(lo, up)
    major = [
        v
        for v in (1 / 32, 1 / 16, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
        if lo <= v <= up
    ]
    ax.xaxis.set_major_locator(FixedLocator(major))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{v:g}" for v in major])
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.axvline(1.0, color="#444444", lw=0.6, ls="--")
    ax.set_xlabel("Hazard ratio (log scale)", labelpad=2)
    weights = {
        i: 1.0 / ((math.log(r.estimate[2]) - math.log(r.estimate[1])) / (2 * 1.96)) ** 2
        for i, r in enumerate(rows)
        if r.estimate
        and r.estimate[1] > 0
        and math.isfinite(r.estimate[2])
        and r.estimate[2] > r.estimate[1]
    }
    wmax = max(weights.values(), default=1.0)
    for i, r in enumerate(rows):
        if r.estimate is None:
            continue
        hr, l95, u95 = r.estimate
        ax.plot([max(l95, lo), min(u95, up)], [i, i], color="black", lw=0.8)
        size = 2.5 + 4.5 * math.sqrt(weights.get(i, 0.0) / wmax)
        ax.plot([hr], [i], "s", color=COLOURS[0], mec="black", mew=0.4, ms=size)
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    top = blended_transform_factory(fig.transFigure, fig.transFigure)
    head_y = (h - header_in * 0.55) / h
    for key, text, xin, ha in (
        ("label", "Subgroup", 0.0, "left"),
        ("n", "N", pos["n"], "right"),
        ("events", "Events", pos["events"], "right"),
        ("hr", "HR (95 % CI)", pos["hr"], "left"),
        ("p", "p", pos["p"], "right"),
    ):
        fig.text(
            xin / fw,
            head_y,
            text,
            transform=top,
            ha=ha,
            va="center",
            fontsize=fs,
            fontweight="bold",
            gid=f"forest-head-{key}",
        )
    for i, r in enumerate(rows):
        weight = "bold" if r.indent < 2 else "normal"
        fig.text(
            r.indent * indent_in / fw,
            i,
            r.label,
            transform=tr,
            ha="left",
            va="center",
            fontsize=fs,
            fontweight=weight,
        )
        for key, ha in (("n", "right"), ("events", "right"), ("hr", "left"), ("p", "right")):
            text = getattr(r, "hr_text" if key == "hr" else key)
            if text:
                fig.text(pos[key] / fw, i, text, transform=tr, ha=ha, va="center", fontsize=fs)
    below = blended_transform_factory(ax.transAxes, fig.transFigure)
    y_fav = 0.3 * style.font_pt * _PT / h
    one = (math.log(1.0) - math.log(lo)) / (math.log(up) - math.log(lo))
    fig.text(
        one - 0.01,
        y_fav,
        "← favours the level",
        transform=below,
        ha="right",
        va="bottom",
        fontsize=fs,
    )
    fig.text(
        one + 0.01,
        y_fav,
        "favours the reference →",
        transform=below,
        ha="left",
        va="bottom",
        fontsize=fs,
    )
    return fig
