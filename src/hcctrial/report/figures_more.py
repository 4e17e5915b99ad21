"""The other report figures: subgroup forest plot, waterfall, swimmer and spider plots.

All take engine results or the report inputs and a :class:`~hcctrial.report.figure_style.FigureStyle`
(print width and fonts) and return a matplotlib Figure with no title (the caption carries it);
saving is :func:`hcctrial.report.figures.save_figure`. Margins are measured with the renderer
(:func:`~hcctrial.report.figure_style.text_width_in`) so labels fit at every width. The CONSORT
flow and the treatment scheme are :mod:`hcctrial.report.figures_consort`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hcctrial.report.figure_style import (
    DEFAULT_STYLE,
    RESPONSE_COLOURS,
    RESPONSE_HATCHES,
    RESPONSE_WORDS,
    FigureStyle,
    new_figure,
    text_width_in,
)
from hcctrial.report.figures_km import month_ticks
from hcctrial.report.inputs import SubjectRecord, SwimmerRecord, TumourMeasurement

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SWIMMER_MAX",
    "spider_figure",
    "swimmer_figure",
    "swimmer_selection",
    "waterfall_figure",
]

_PT = 1.0 / 72.0
_RESPONSE_LINES = {"CR": "-", "PR": "--", "SD": "-.", "PD": ":", "NE": (0, (1, 2))}
_RESPONSE_MARKERS = {"CR": "o", "PR": "s", "SD": "^", "PD": "D", "NE": "v"}


def axes_in(fig: Figure, left: float, bottom: float, right: float, top: float) -> Axes:
    """Add axes with margins given in inches (left, bottom, right, top)."""
    fw, fh = fig.get_size_inches()
    return fig.add_axes(
        (left / fw, bottom / fh, (fw - left - right) / fw, (fh - bottom - top) / fh)
    )


def _bottom_in(style: FigureStyle) -> float:
    """Room under the axes for the tick labels and the x label (ticks, pads, two text lines)."""
    return (14.0 + 1.3 * (style.small_pt + style.font_pt)) * _PT


def _label_lines(ax: Axes, style: FigureStyle) -> None:
    """Dashed lines at +20 % and −30 % (mRECIST progression and partial-response thresholds),
    labelled in the right margin."""
    for y, text in ((20.0, "+20 %"), (-30.0, "−30 %")):
        ax.axhline(y, color="#444444", lw=0.7, ls="--", zorder=1)
        ax.text(
            1.01,
            y,
            text,
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontsize=style.small_pt,
        )


def _present(codes: Sequence[str | None]) -> list[str]:
    return [r for r in RESPONSE_COLOURS if any((c or "NE") == r for c in codes)]


def waterfall_figure(
    subjects: Sequence[SubjectRecord], style: FigureStyle = DEFAULT_STYLE
) -> Figure:
    """Waterfall: each patient's best % change of the target-lesion sum, coloured and hatched
    by best response; a patient with no measurable change (0 %) is a marker on the zero line,
    so every measured patient is visible. Patients without a measurement are counted below."""
    from matplotlib.patches import Patch

    have = sorted(
        (s for s in subjects if s.best_change_pct is not None),
        key=lambda s: -(s.best_change_pct or 0.0),
    )
    h = 2.6 if style.narrow else 2.9
    fig = new_figure(h, style)
    left = text_width_in(fig, "−100", style.small_pt) + (12.0 + 1.3 * style.font_pt) * _PT
    right = text_width_in(fig, "−30 %", style.small_pt) + 0.1
    ax = axes_in(fig, left, _bottom_in(style), right, 0.1)
    values = [float(s.best_change_pct or 0.0) for s in have]
    codes = [s.best_response or "NE" for s in have]
    ax.bar(
        range(len(have)),
        values,
        width=0.8,
        color=[RESPONSE_COLOURS.get(c, "#999999") for c in codes],
        hatch=None,
        edgecolor="black",
        linewidth=0.3,
    )
    for patch, c in zip(ax.patches, codes, strict=True):
        patch.set_hatch(RESPONSE_HATCHES.get(c, ""))
    zero = [i for i, v in enumerate(values) if abs(v) < 0.05]
    ax.plot(zero, [0.0] * len(zero), "o", ms=3, mfc="white", mec="black", mew=0.6, zorder=3)
    ax.axhline(0, color="black", lw=0.6)
    _label_lines(ax, style)
    lo = min([-100.0, *values])
    hi = max([40.0, *values])
    ax.set_ylim(lo - 5, hi + 8)
    ax.set_xlim(-1, max(len(have), 1))
    ax.set_xticks([])
    missing = len(subjects) - len(have)
    ax.set_xlabel(
        f"Patients (n = {len(have)}; ○ no measurable change"
        + (f"; {missing} without a measurement)" if missing else ")")
    )
    ax.set_ylabel("Best change of target sum (%)")
    handles = [
        Patch(
            facecolor=RESPONSE_COLOURS[r],
            hatch=RESPONSE_HATCHES[r],
            edgecolor="black",
            lw=0.3,
            label=f"{RESPONSE_WORDS[r]} ({r})",
        )
        for r in _present(codes)
    ]
    ax.legend(handles=handles, frameon=False, loc="upper right", borderaxespad=0.2)
    return fig


#: The most patients a swimmer plot shows (one A4 page of rows at 6 pt).
SWIMMER_MAX = 70


def swimmer_selection(
    records: Sequence[SwimmerRecord], limit: int = SWIMMER_MAX
) -> tuple[tuple[SwimmerRecord, ...], str]:
    """The patients the swimmer plot shows and, when not all, which in words: every patient up
    to ``limit``; beyond, the responders (CR or PR); beyond that, the ``limit`` responders
    longest on treatment (a swimmer plot of hundreds of rows is unreadable on a page)."""
    if len(records) <= limit:
        return tuple(records), ""
    resp = [r for r in records if r.best_response in ("CR", "PR")]
    if len(resp) <= limit:
        return tuple(resp), f"the {len(resp)} responders (CR or PR) of {len(records)} patients"
    top = sorted(resp, key=lambda r: (-r.treatment_months, r.study_id))[:limit]
    return (
        tuple(top),
        f"the {limit} responders longest on treatment ({len(resp)} responders, "
        f"{len(records)} patients)",
    )


def swimmer_figure(records: Sequence[SwimmerRecord], style: FigureStyle = DEFAULT_STYLE) -> Figure:
    """Swimmer plot (of :func:`swimmer_selection`): per patient (labelled by study id) the time on
    treatment (bar, hatched by best response), follow-up (thin line), first response, progression and death, and the number
    of cycles printed after the end of follow-up where no marker covers it."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rs = sorted(swimmer_selection(records)[0], key=lambda r: (r.treatment_months, r.study_id))
    row_in = 1.35 * style.small_pt * _PT
    legend_h = 3.4 * style.small_pt * _PT
    h = max(2.5, row_in * (len(rs) + 1) + 3.0 * style.font_pt * _PT + legend_h + 0.2)
    fig = new_figure(h, style)
    id_w = max([text_width_in(fig, r.study_id, style.small_pt) for r in rs] + [0.3])
    ax = axes_in(
        fig,
        id_w + 2.0 * style.font_pt * _PT,
        _bottom_in(style),
        text_width_in(fig, "  88 cycles", style.small_pt) + 0.05,
        legend_h + 0.1,
    )
    for y, r in enumerate(rs):
        code = r.best_response or "NE"
        ax.plot([0, r.last_contact_months], [y, y], color="#AAAAAA", lw=0.6, zorder=1)
        ax.barh(
            y,
            r.treatment_months,
            height=0.7,
            color=RESPONSE_COLOURS.get(code, "#999999"),
            hatch=RESPONSE_HATCHES.get(code, ""),
            edgecolor="black",
            lw=0.2,
            zorder=2,
        )
        if r.response_months is not None:
            ax.plot(r.response_months, y, "^", color="black", mfc="white", ms=3, mew=0.6, zorder=4)
        if r.progression_months is not None:
            ax.plot(
                r.progression_months, y, "D", mfc="white", mec="black", ms=2.8, mew=0.7, zorder=4
            )
        if r.death_months is not None:
            ax.plot(r.death_months, y, "x", color="black", ms=3.2, mew=0.8, zorder=4)
        else:
            ax.plot(r.last_contact_months, y, ">", color="#444444", ms=2.8, zorder=4)
        ax.annotate(
            f"{r.n_cycles}",
            (r.last_contact_months, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=style.small_pt,
        )
    ax.set_ylim(-0.8, len(rs) - 0.2)
    ax.set_yticks(range(len(rs)))
    ax.set_yticklabels([r.study_id for r in rs], fontsize=style.small_pt)
    ax.tick_params(axis="y", length=0, pad=1)
    tmax = max([r.last_contact_months for r in rs] + [1.0])
    ticks = list(month_ticks(tmax))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(0, ticks[-1])
    ax.set_xlabel("Months since first TACE-HAIC")
    handles: list[Patch | Line2D] = [
        Patch(
            facecolor=RESPONSE_COLOURS[c],
            hatch=RESPONSE_HATCHES[c],
            edgecolor="black",
            lw=0.2,
            label=c,
        )
        for c in _present([x.best_response for x in rs])
    ]
    handles += [
        Line2D([], [], marker="^", ls="", color="black", mfc="white", label="First CR/PR"),
        Line2D([], [], marker="D", ls="", color="black", mfc="white", label="Progression"),
        Line2D([], [], marker="x", ls="", color="black", label="Death"),
        Line2D([], [], marker=">", ls="", color="#444444", label="Alive"),
    ]
    fig.legend(
        handles=handles,
        frameon=False,
        loc="upper center",
        ncol=math.ceil(len(handles) / 2),
        borderaxespad=0.1,
        handlelength=1.4,
        columnspacing=1.0,
    )
    return fig


def spider_figure(
    measurements: Sequence[TumourMeasurement],
    subjects: Sequence[SubjectRecord],
    style: FigureStyle = DEFAULT_STYLE,
) -> Figure:
    """Spider plot: % change of the target-lesion sum over time per patient (from 0 % at month 0),
    colour, line style and marker by best response, with a legend of the responses."""
    from matplotlib.lines import Line2D

    best = {s.study_id: s.best_response or "NE" for s in subjects}
    by: dict[str, list[TumourMeasurement]] = {}
    for m in measurements:
        by.setdefault(m.study_id, []).append(m)
    fig = new_figure(2.6 if style.narrow else 2.9, style)
    left = text_width_in(fig, "−100", style.small_pt) + (12.0 + 1.3 * style.font_pt) * _PT
    right = text_width_in(fig, "−30 %", style.small_pt) + 0.1
    ax = axes_in(fig, left, _bottom_in(style), right, 0.1)
    tmax = 1.0
    for sid, ms in sorted(by.items()):
        ms = sorted(ms, key=lambda m: m.months)
        code = best.get(sid, "NE")
        tmax = max(tmax, ms[-1].months)
        ax.plot(
            [0.0] + [m.months for m in ms],
            [0.0] + [m.change_pct for m in ms],
            ls=_RESPONSE_LINES[code],
            marker=_RESPONSE_MARKERS[code],
            color=RESPONSE_COLOURS.get(code, "#999999"),
            lw=0.7,
            ms=1.8,
            alpha=0.85,
        )
    _label_lines(ax, style)
    ticks = list(month_ticks(tmax))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(0, ticks[-1])
    ys = [m.change_pct for m in measurements] + [-100.0, 40.0]
    ax.set_ylim(min(ys) - 5, max(ys) + 8)
    ax.set_xlabel("Months since first TACE-HAIC")
    ax.set_ylabel("Change of target sum (%)")
    present = _present(list(best.get(s) for s in by))
    ax.legend(
        handles=[
            Line2D(
                [],
                [],
                color=RESPONSE_COLOURS[r],
                ls=_RESPONSE_LINES[r],
                marker=_RESPONSE_MARKERS[r],
                ms=3,
                lw=0.9,
                label=f"{RESPONSE_WORDS[r]} (n = {sum(best.get(s) == r for s in by)})",
            )
            for r in present
        ],
        frameon=False,
        loc="upper right",
        borderaxespad=0.2,
        handlelength=2.6,
    )
    return fig
