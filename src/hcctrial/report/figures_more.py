"""The other report figures: subgroup forest plot, waterfall, swimmer and spider plots, and the
CONSORT-style flow diagram built from the disposition counts (never drawn by hand).

All take engine results or the report inputs and return a matplotlib Figure; saving is
:func:`hcctrial.report.figures.save_figure`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hcctrial.analysis.results import SubgroupResult
from hcctrial.report.figures import COLOURS, RESPONSE_COLOURS, new_figure
from hcctrial.report.inputs import Disposition, SubjectRecord, SwimmerRecord, TumourMeasurement

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["consort_figure", "forest_figure", "spider_figure", "swimmer_figure", "waterfall_figure"]


def forest_figure(panels: Sequence[tuple[str, Sequence[SubgroupResult]]]) -> Figure:
    """Forest plot: HR (95 % CI) of each subgroup's second level vs its reference, per endpoint.

    ``panels``: (endpoint label, subgroup results) drawn side by side on a log HR axis.
    """
    import numpy as np

    rows = max(len(p[1]) for p in panels)
    from matplotlib.ticker import FixedLocator, NullLocator

    fig = new_figure(3.2 + 3.0 * len(panels), 0.42 * rows + 1.2)
    width = 0.68 / len(panels)
    for j, (label, results) in enumerate(panels):
        ax = fig.add_axes((0.3 + j * width, 0.14, width - 0.03, 0.74))
        ys = np.arange(len(results))[::-1]
        his = []
        for y, sg in zip(ys, results, strict=True):
            if sg.cox is None:
                ax.text(1.0, y, "not estimable", ha="center", va="center", fontsize=7)
                continue
            hr, lo, up = sg.cox.hr[0], sg.cox.lower[0], sg.cox.upper[0]
            his.append((lo, up))
            ax.plot([lo, up], [y, y], color=COLOURS[0], lw=1.4)
            ax.plot([hr], [y], "s", color=COLOURS[0], ms=5)
            p = sg.logrank.p if sg.logrank is not None else float("nan")
            ax.annotate(
                f"{hr:.2f} ({lo:.2f}–{up:.2f}); p = {p:.3f}",
                (1, y),
                xycoords=("axes fraction", "data"),
                xytext=(-2, 7),
                textcoords="offset points",
                ha="right",
                fontsize=6.5,
            )
        ax.axvline(1.0, color="#777777", lw=0.8, ls="--")
        ax.set_xscale("log")
        lo_all = min([h[0] for h in his] + [0.5])
        up_all = max([h[1] for h in his] + [2.0])
        ax.set_xlim(lo_all / 1.2, up_all * 1.2)
        major = [
            v
            for v in (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
            if lo_all / 1.2 <= v <= up_all * 1.2
        ]
        ax.xaxis.set_major_locator(FixedLocator(major))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{v:g}" for v in major])
        ax.set_ylim(-0.7, len(results) - 0.3)
        ax.set_yticks(ys)
        if j == 0:
            ax.set_yticklabels(
                [
                    f"{sg.label}: {sg.levels[-1]} vs {sg.levels[0]}"
                    if len(sg.levels) == 2
                    else sg.label
                    for sg in results
                ],
                fontsize=8,
            )
        else:
            ax.set_yticklabels([])
        ax.set_xlabel("Hazard ratio (95 % CI), log scale")
        ax.set_title(label, fontsize=9, loc="left", fontweight="bold")
    return fig


def waterfall_figure(subjects: Sequence[SubjectRecord]) -> Figure:
    """Waterfall: each patient's best % change of the target-lesion sum, coloured by best response.

    Patients without a measured change are left out (their count is printed).
    """
    from matplotlib.patches import Patch

    have = sorted(
        (s for s in subjects if s.best_change_pct is not None),
        key=lambda s: -(s.best_change_pct or 0.0),
    )
    fig = new_figure(7.0, 3.6)
    ax = fig.add_axes((0.1, 0.14, 0.86, 0.76))
    x = range(len(have))
    ax.bar(
        list(x),
        [float(s.best_change_pct or 0.0) for s in have],
        width=0.85,
        color=[RESPONSE_COLOURS.get(s.best_response or "NE", "#999999") for s in have],
    )
    ax.axhline(20, color="#555555", lw=0.8, ls="--")
    ax.axhline(-30, color="#555555", lw=0.8, ls="--")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks([])
    ax.set_xlabel(
        f"Patients (n = {len(have)}; {len(subjects) - len(have)} without a measured change)"
    )
    ax.set_ylabel("Best change of target-lesion sum (%)")
    ax.set_title(
        "Best tumour response (mRECIST): waterfall", loc="left", fontsize=10, fontweight="bold"
    )
    present = [r for r in RESPONSE_COLOURS if any(s.best_response == r for s in have)]
    ax.legend(
        handles=[Patch(color=RESPONSE_COLOURS[r], label=r) for r in present],
        frameon=False,
        fontsize=8,
        loc="upper right",
    )
    return fig


def swimmer_figure(records: Sequence[SwimmerRecord]) -> Figure:
    """Swimmer plot: time on treatment per patient (bar, cycles printed), follow-up (thin line),
    first response, progression and death marked; an arrow marks a patient alive at last contact."""
    from matplotlib.lines import Line2D

    rs = sorted(records, key=lambda r: r.treatment_months)
    h = max(3.0, 0.11 * len(rs) + 1.2)
    fig = new_figure(7.0, h)
    ax = fig.add_axes((0.12, 0.9 / h, 0.84, 1 - 1.4 / h))
    for y, r in enumerate(rs):
        col = RESPONSE_COLOURS.get(r.best_response or "NE", "#999999")
        ax.plot([0, r.last_contact_months], [y, y], color="#BBBBBB", lw=0.8, zorder=1)
        ax.barh(y, r.treatment_months, height=0.7, color=col, zorder=2)
        ax.text(r.treatment_months, y, f" {r.n_cycles}", va="center", fontsize=4.5, zorder=3)
        if r.response_months is not None:
            ax.plot(r.response_months, y, "^", color="black", ms=3, zorder=4)
        if r.progression_months is not None:
            ax.plot(
                r.progression_months,
                y,
                "D",
                color="#D55E00",
                ms=2.8,
                zorder=4,
                mec="black",
                mew=0.3,
            )
        if r.death_months is not None:
            ax.plot(r.death_months, y, "x", color="black", ms=3.2, zorder=4)
        else:
            ax.plot(r.last_contact_months, y, ">", color="#555555", ms=2.8, zorder=4)
    ax.set_ylim(-1, len(rs))
    ax.set_yticks([])
    ax.set_xlabel("Months since first TACE-HAIC")
    ax.set_ylabel(f"Patients (n = {len(rs)})")
    ax.set_title(
        "Treatment and outcome per patient (swimmer plot; bar = time on treatment, "
        "number = cycles)",
        loc="left",
        fontsize=9,
        fontweight="bold",
    )
    handles = [
        Line2D([], [], color=c, lw=5, label=f"Best response {r}")
        for r, c in RESPONSE_COLOURS.items()
        if any(x.best_response == r for x in rs)
    ]
    handles += [
        Line2D([], [], marker="^", ls="", color="black", label="First CR/PR"),
        Line2D([], [], marker="D", ls="", color="#D55E00", label="Progression"),
        Line2D([], [], marker="x", ls="", color="black", label="Death"),
        Line2D([], [], marker=">", ls="", color="#555555", label="Alive at last contact"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=6.5, loc="lower right")
    return fig


def spider_figure(
    measurements: Sequence[TumourMeasurement], subjects: Sequence[SubjectRecord]
) -> Figure:
    """Spider plot: % change of the target-lesion sum over time per patient, coloured by best
    response (each line starts at 0 % at month 0)."""
    best = {s.study_id: s.best_response or "NE" for s in subjects}
    by: dict[str, list[TumourMeasurement]] = {}
    for m in measurements:
        by.setdefault(m.study_id, []).append(m)
    fig = new_figure(7.0, 3.8)
    ax: Axes = fig.add_axes((0.1, 0.13, 0.86, 0.77))
    for sid, ms in sorted(by.items()):
        ms = sorted(ms, key=lambda m: m.months)
        col = RESPONSE_COLOURS.get(best.get(sid, "NE"), "#999999")
        ax.plot(
            [0.0] + [m.months for m in ms],
            [0.0] + [m.change_pct for m in ms],
            "-o",
            color=col,
            lw=0.8,
            ms=2,
            alpha=0.8,
        )
    ax.axhline(20, color="#555555", lw=0.8, ls="--")
    ax.axhline(-30, color="#555555", lw=0.8, ls="--")
    ax.set_xlabel("Months since first TACE-HAIC")
    ax.set_ylabel("Change of target-lesion sum from baseline (%)")
    ax.set_title(
        f"Tumour burden over time (spider plot, {len(by)} patients)",
        loc="left",
        fontsize=10,
        fontweight="bold",
    )
    return fig


def _box(ax: Axes, x: float, y: float, text: str, w: float = 0.36) -> None:
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=8,
        wrap=True,
        bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "black", "lw": 0.8},
    )


def _arrow(ax: Axes, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate(
        "", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "-|>", "lw": 0.8, "color": "black"}
    )


def consort_figure(d: Disposition) -> Figure:
    """The CONSORT-style flow: screened -> excluded (reasons) -> enrolled -> treated ->
    assessable -> analysed, with the counts of the disposition data."""
    n_excl = sum(n for _, n in d.excluded)
    fig = new_figure(6.6, 6.0)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    cx = 0.32
    levels = [
        (0.93, f"Screened (n = {d.screened})"),
        (0.66, f"Enrolled (n = {d.enrolled})"),
        (0.47, f"Received TACE-HAIC (n = {d.treated})"),
        (0.28, f"Response assessable (n = {d.assessable})"),
        (0.09, f"Analysed, intention to treat (n = {d.analysed})"),
    ]
    for y, text in levels:
        _box(ax, cx, y, text)
    for (y0, _), (y1, _) in itertools.pairwise(levels):
        _arrow(ax, cx, y0 - 0.035, cx, y1 + 0.035)
    reasons = "\n".join(f"• {r}: {n}" for r, n in d.excluded)
    ax.plot([cx, 0.58], [0.80, 0.80], color="black", lw=0.8)
    ax.text(
        0.6,
        0.80,
        f"Excluded (n = {n_excl})\n{reasons}",
        ha="left",
        va="center",
        fontsize=7.5,
        bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "black", "lw": 0.8},
    )
    not_treated = d.enrolled - d.treated
    if not_treated:
        ax.plot([cx, 0.58], [0.565, 0.565], color="black", lw=0.8)
        ax.text(
            0.6,
            0.565,
            f"Not treated (n = {not_treated})",
            ha="left",
            va="center",
            fontsize=7.5,
            bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "black", "lw": 0.8},
        )
    n_na = d.treated - d.assessable
    if n_na:
        lines = "\n".join(f"• {r}: {n}" for r, n in d.not_assessable)
        ax.plot([cx, 0.58], [0.375, 0.375], color="black", lw=0.8)
        ax.text(
            0.6,
            0.375,
            f"Not assessable (n = {n_na})" + (f"\n{lines}" if lines else ""),
            ha="left",
            va="center",
            fontsize=7.5,
            bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "black", "lw": 0.8},
        )
    return fig
