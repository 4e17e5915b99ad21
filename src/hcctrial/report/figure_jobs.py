"""The report's figures as jobs: what each figure shows, its caption and alt text, and the function
that draws it at the print width of the style (drawn lazily, in the figure workers of
:func:`hcctrial.report.build.draw_figures`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from hcctrial.analysis.results import AnalysisResults, EndpointResult, SubgroupResult
from hcctrial.report.figure_style import FigureStyle, figure_style, new_figure
from hcctrial.report.figures_km import KMPanel
from hcctrial.report.inputs import ReportInputs
from hcctrial.report.survival_tables import survival_ci_text
from hcctrial.report.tables import ci_header, fmt_ci, fmt_num, fmt_p_plan

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hcctrial.protocol.schema import Regimen

__all__ = ["FigureJob", "figure_jobs", "is_time_to_progression"]


@dataclass(frozen=True)
class FigureJob:
    """A figure to draw: key, caption, section, a function returning the matplotlib Figure and
    its alt text (what the figure shows, for screen readers and the Word file)."""

    key: str
    caption: str
    section: str
    draw: Callable[[], Figure]
    alt: str = ""


def _comparison_text(sg: SubgroupResult, results: AnalysisResults) -> str:
    if sg.cox is None or sg.logrank is None:
        return sg.note or ""
    lines = []
    for lv in sg.levels[1:]:
        h = sg.hazard_ratio(lv)
        if h is not None:
            lines.append(f"HR {lv} vs {sg.levels[0]}: {fmt_num(h[0], 2)} ({fmt_ci(h[1], h[2], 2)})")
    p = fmt_p_plan(sg.logrank.p, results)
    return "\n".join([*lines, f"log-rank p {p if p.startswith('<') else '= ' + p}"])


def is_time_to_progression(results: AnalysisResults, endpoint: str) -> bool:
    """True when the plan's endpoint counts progression only (deaths censored): whatever its
    name, it is a time to progression and the figures say so."""
    return list(results.plan.endpoints[endpoint].events) == ["progression"]


def _axis_label(results: AnalysisResults, ep: EndpointResult) -> str:
    return "Free of progression" if is_time_to_progression(results, ep.key) else ep.short


def _definition_note(results: AnalysisResults, ep: EndpointResult) -> str:
    d = results.plan.endpoints[ep.key].definition
    if is_time_to_progression(results, ep.key):
        return (
            f" {ep.label} counts progression only: it is a time to progression (y axis: free of "
            f"progression). Definition: {d}."
        )
    return f" Definition: {d}."


def _overall_panel(ep: EndpointResult, results: AnalysisResults) -> KMPanel:
    return KMPanel(
        [ep.curve], _axis_label(results, ep), ["All patients"], [ep.median], ci_band=True
    )


def _group_panel(
    sg: SubgroupResult, ep: EndpointResult, results: AnalysisResults, ci_bands: bool
) -> KMPanel:
    return KMPanel(
        sg.curves,
        _axis_label(results, ep),
        names=[f"{sg.label}: {lv}" for lv in sg.levels],
        medians=sg.medians,
        comparison=_comparison_text(sg, results),
        ci_band=ci_bands,
    )


def _km_figure(panel: KMPanel, style: FigureStyle) -> Figure:
    from hcctrial.report.figures_km import draw_km, panel_height_in

    h = panel_height_in(panel, style.width_in, style)
    fig = new_figure(h, style)
    draw_km(fig, (0.0, 0.02, style.width_in, h - 0.02), panel, style=style)
    return fig


def _rule(results: AnalysisResults) -> str:
    return {"spss": "SPSS rule", "r": "R rule"}[results.plan.conventions.median.rule]


def _km_alt(ep: EndpointResult, groups: SubgroupResult | None = None) -> str:
    if groups is None:
        med = ep.median.estimate
        return (
            f"Kaplan–Meier curve of {ep.label} for {ep.n} patients with {ep.events} events, "
            f"median {'not reached' if med is None else f'{med:.1f} months'}, with the number "
            "at risk below."
        )
    parts = [
        f"{lv}: {c.n} patients, {c.events} events, median "
        f"{'not reached' if m.estimate is None else f'{m.estimate:.1f} months'}"
        for lv, c, m in zip(groups.levels, groups.curves, groups.medians, strict=True)
    ]
    return f"Kaplan–Meier curves of {ep.label} by {groups.label}; " + "; ".join(parts) + "."


def _survival_jobs(results: AnalysisResults, style: FigureStyle, ci_bands: bool) -> list[FigureJob]:
    from hcctrial.report.figures_forest import forest_figure
    from hcctrial.report.figures_km import km_panels_figure

    jobs: list[FigureJob] = []
    level = ci_header(results)
    shown = [k for k in results.plan.outputs.figures if k in results.endpoints]
    for key in shown:
        ep = results.endpoints[key]
        pop = results.plan.populations[ep.population].label.lower()
        jobs.append(
            FigureJob(
                f"km_{key}",
                f"Kaplan–Meier estimate of {ep.label}, {pop}, with the "
                f"{survival_ci_text(results)}, censoring ticks, the median ({_rule(results)}) and "
                "the number at risk." + _definition_note(results, ep),
                "survival",
                partial(_km_figure, _overall_panel(ep, results), style),
                _km_alt(ep),
            )
        )
        for sg in results.subgroups_of(key):
            if len(sg.curves) < 2:
                continue
            jobs.append(
                FigureJob(
                    f"km_{key}_{sg.key}",
                    f"{ep.label} by {sg.label}: Kaplan–Meier curves with HR ({level}, Cox) and "
                    f"log-rank p, medians ({_rule(results)}) and the number at risk."
                    + _definition_note(results, ep),
                    "subgroups",
                    partial(_km_figure, _group_panel(sg, ep, results, ci_bands), style),
                    _km_alt(ep, sg),
                )
            )
    four = [results.endpoints[k] for k in shown[:2]]
    firsts = [
        next((g for g in results.subgroups_of(e.key) if len(g.curves) > 1), None) for e in four
    ]
    if len(four) == 2 and all(g is not None for g in firsts):
        panels = [_overall_panel(e, results) for e in four] + [
            _group_panel(g, e, results, ci_bands)
            for e, g in zip(four, firsts, strict=True)
            if g is not None
        ]
        g0 = firsts[0]
        assert g0 is not None
        jobs.append(
            FigureJob(
                "figure4",
                f"Kaplan–Meier curves of {four[0].label} (A, C) and {four[1].label} (B, D), all "
                f"patients (A, B) and by {g0.label} (C, D), with the number at risk "
                "(the paper's Figure 4)." + _definition_note(results, four[0]),
                "survival",
                partial(km_panels_figure, panels, style=style),
                "Four Kaplan–Meier panels: "
                + " ".join(
                    [_km_alt(e) for e in four]
                    + [_km_alt(e, g) for e, g in zip(four, firsts, strict=True)]
                ),
            )
        )
    panels_f = [
        (results.endpoints[k].label, results.subgroups_of(k))
        for k in shown
        if results.subgroups_of(k)
    ]
    if panels_f:
        jobs.append(
            FigureJob(
                "forest",
                f"Hazard ratios ({level}) by subgroup (univariable Cox, each level against the "
                "reference level); N, events and the log-rank p over the levels. Square area "
                "proportional to the precision (inverse variance of log HR).",
                "subgroups",
                partial(forest_figure, panels_f, style, partial(fmt_p_plan, results=results)),
                "Forest plot of hazard ratios with 95 % confidence intervals for each subgroup "
                "level against its reference, for "
                + " and ".join(label for label, _ in panels_f)
                + ".",
            )
        )
    return jobs


def figure_jobs(
    inputs: ReportInputs,
    results: AnalysisResults,
    style: FigureStyle | None = None,
    *,
    ci_bands: bool = False,
) -> tuple[FigureJob, ...]:
    """Return every figure of the report as a job (drawn lazily) at the ``style``'s print width
    (default: the plan's ``[outputs] figure_width``). ``ci_bands``: CI bands on group curves."""
    from hcctrial.report.figures_consort import consort_figure
    from hcctrial.report.figures_more import (
        spider_figure,
        swimmer_figure,
        swimmer_selection,
        waterfall_figure,
    )

    st = style or figure_style(results.plan.outputs.figure_width)
    jobs: list[FigureJob] = []
    d = inputs.disposition
    if d is not None:
        regimen = _regimen(results)
        jobs.append(
            FigureJob(
                "consort",
                "Flow of patients (CONSORT 2010), built from the disposition records"
                + (", and the treatment scheme from the regimen file." if regimen else "."),
                "trial",
                partial(consort_figure, d, regimen, st),
                f"Flow diagram: {d.screened} assessed, {d.enrolled} enrolled, {d.treated} "
                f"treated, {d.analysed} analysed.",
            )
        )
    measured = [s for s in inputs.subjects if s.best_change_pct is not None]
    if measured:
        jobs.append(
            FigureJob(
                "waterfall",
                "Best percentage change of the target-lesion sum from baseline, by patient, "
                "coloured and hatched by best response (mRECIST); a circle marks no measurable "
                "change; dashed lines at +20 % and −30 %.",
                "response",
                partial(waterfall_figure, inputs.subjects, st),
                f"Waterfall plot of the best change of the target-lesion sum for "
                f"{len(measured)} patients.",
            )
        )
    if inputs.measurements:
        jobs.append(
            FigureJob(
                "spider",
                "Change of the target-lesion sum over time per patient, by best response "
                "(colour, line style and marker); dashed lines at +20 % and −30 %.",
                "response",
                partial(spider_figure, inputs.measurements, inputs.subjects, st),
                "Spider plot of the change of the target-lesion sum over time per patient.",
            )
        )
    if inputs.swimmers:
        shown, which = swimmer_selection(inputs.swimmers)
        jobs.append(
            FigureJob(
                "swimmer",
                "Time on treatment (bar, by best response), follow-up (line), first response, "
                "progression and death per patient (study id at left; number of cycles after "
                "each line)" + (f"; shown: {which}." if which else "."),
                "response",
                partial(swimmer_figure, inputs.swimmers, st),
                f"Swimmer plot of {len(shown)} patients' time on treatment and outcomes.",
            )
        )
    jobs += _survival_jobs(results, st, ci_bands)
    return tuple(jobs)


def _regimen(results: AnalysisResults) -> Regimen | None:
    """The regimen the plan names (None when it cannot be loaded: the scheme panel is left out)."""
    from hcctrial.errors import HcctrialError
    from hcctrial.protocol.regimen import load_regimen

    try:
        return load_regimen(results.plan.regimen)
    except HcctrialError:
        return None
