"""Build the whole report: run the plan (engines), draw the figures, render HTML, Word and CSV.

``build_report(source, out_dir, formats=("html", "docx"), plan=..., results=...)`` takes a database
URL (or SQLAlchemy engine), or ready :class:`~hcctrial.report.inputs.ReportInputs`, and writes into
``out_dir`` what the statistical analysis plan (default: the seed plan) computes -- or renders the
plan's result already computed (``results``, as the demo passes it: one analysis for every
output). The statistical-methods paragraphs are the plan in words
(:func:`hcctrial.analysis.describe.methods_paragraphs`); sensitivity analyses have their own
table, labelled as such::

    report.html          self-contained (figures embedded, no JavaScript)
    report.docx          Word, real tables, numbered captions, footnotes
    tables/<key>.csv     every table as printed
    figures/<key>.png    300 dpi, and figures/<key>.svg

Each figure is drawn once and saved as PNG and SVG from the same Figure. With ``workers`` > 1
(default: 2 where the machine has 2 cores or more) the figures are drawn in a pool of forked
processes (threads do not help: matplotlib's drawing holds the GIL). The workers are forked, so
the figure jobs (closures over the engine results) are inherited, not pickled; only each job's
index goes to a worker and its :class:`FigureFiles` comes back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.analysis.plan import PlanFile
from hcctrial.analysis.results import AnalysisResults, EndpointResult, SubgroupResult
from hcctrial.errors import DataValidationError
from hcctrial.report.document import ReportDocument, Section
from hcctrial.report.figure_style import FigureStyle, figure_style, new_figure
from hcctrial.report.figures import FigureFiles, save_figure
from hcctrial.report.figures_km import KMPanel
from hcctrial.report.inputs import ReportInputs
from hcctrial.report.survival_tables import (
    cox_table,
    incidence_table,
    primary_endpoint_table,
    sensitivity_table,
    subgroup_table,
    survival_ci_text,
    survival_summary_table,
)
from hcctrial.report.tables import (
    Table,
    ci_header,
    fmt_ci,
    fmt_num,
    fmt_p_plan,
    house_style,
    table1_baseline,
    table2_response,
    table3_adverse_events,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hcctrial.protocol.schema import Regimen

__all__ = [
    "FORMATS",
    "ReportPaths",
    "build_document",
    "build_report",
    "default_workers",
    "draw_figures",
    "figure_jobs",
    "report_results",
]

FORMATS = ("html", "docx", "csv")


@dataclass(frozen=True)
class ReportPaths:
    """What :func:`build_report` wrote (None for a format not asked for)."""

    out_dir: Path
    html: Path | None
    docx: Path | None
    csv: tuple[Path, ...]
    figures: tuple[FigureFiles, ...]
    tables: tuple[str, ...]


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
    from hcctrial.report.figures_more import spider_figure, swimmer_figure, waterfall_figure

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
        jobs.append(
            FigureJob(
                "swimmer",
                "Time on treatment (bar, by best response), follow-up (line), first response, "
                "progression and death per patient (study id at left; number of cycles after "
                "each line).",
                "response",
                partial(swimmer_figure, inputs.swimmers, st),
                f"Swimmer plot of {len(inputs.swimmers)} patients' time on treatment and outcomes.",
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


def _import_matplotlib() -> None:
    """Import matplotlib, PIL and the modules the figures use once, before the figure workers
    fork (each inherits them instead of importing them again)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import matplotlib.lines
    import matplotlib.patches
    import matplotlib.ticker
    import PIL.PngImagePlugin  # noqa: F401


def _draw_and_save(job: FigureJob, out: Path, dpi: int) -> FigureFiles:
    fig = job.draw()
    return save_figure(fig, out, job.key, job.caption, dpi=dpi, alt=job.alt)


#: The jobs the forked figure workers draw (set in the parent just before the fork).
_FORKED: tuple[tuple[FigureJob, ...], Path, int] | None = None

#: Progress callback: (stage, done, total).
Progress = Callable[[str, int, int], None]


def _draw_forked(index: int) -> FigureFiles:
    """Draw job ``index`` of :data:`_FORKED` (runs in a forked worker process)."""
    if _FORKED is None:  # pragma: no cover - only reached in a mis-started worker
        raise RuntimeError("figure worker started without jobs")
    jobs, out, dpi = _FORKED
    return _draw_and_save(jobs[index], out, dpi)


def default_workers() -> int:
    """Return the number of figure processes: 2 on a machine with 2 or more cores, else 1."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def draw_figures(
    jobs: Sequence[FigureJob],
    out: Path,
    *,
    dpi: int = 300,
    workers: int = 1,
    progress: Progress | None = None,
) -> tuple[FigureFiles, ...]:
    """Draw every job and save it as ``out/<key>.png`` (``dpi``) and ``.svg``, in job order.

    ``workers`` > 1 uses that many forked processes (where ``fork`` exists), else this process.
    (Writing the Word file in this process while the workers draw was tried: no faster on 2
    cores, since the two workers already keep both busy.)
    """
    global _FORKED
    import multiprocessing

    _import_matplotlib()
    out.mkdir(parents=True, exist_ok=True)
    n = len(jobs)
    done: list[FigureFiles | None] = [None] * n
    if workers > 1 and n > 1 and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor, as_completed

        _FORKED = (tuple(jobs), out, dpi)
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(workers, n), mp_context=ctx) as pool:
                futures = {pool.submit(_draw_forked, i): i for i in range(n)}
                for k, fut in enumerate(as_completed(futures), start=1):
                    done[futures[fut]] = fut.result()
                    if progress is not None:
                        progress("figures", k, n)
        finally:
            _FORKED = None
    else:
        for i, job in enumerate(jobs):
            done[i] = _draw_and_save(job, out, dpi)
            if progress is not None:
                progress("figures", i + 1, n)
    return tuple(f for f in done if f is not None)


def _methods_paragraphs(inputs: ReportInputs, results: AnalysisResults) -> tuple[str, ...]:
    from hcctrial.analysis.describe import methods_paragraphs

    plan = results.plan
    pops = ", ".join(f"{p.label.lower()} {p.n}" for p in results.populations.values())
    paras = [
        f"{results.n_enrolled} enrolled patients are analysed ({pops}). Every number is "
        "recomputed from the raw records: Child-Pugh class, BCLC stage, CTCAE grades and mRECIST "
        "responses by the domain engines, statistics by the hcctrial engine as the statistical "
        f"analysis plan declares them: {plan.title}, version {plan.version} "
        f"({results.plan_file}; SHA-256 {results.plan_sha256 or 'n/a'}).",
        *methods_paragraphs(plan, results.software),
    ]
    if inputs.is_demo:
        paras.append(
            "These are the synthetic demo trial's data, generated to reproduce the "
            "published aggregates; they describe no real patient."
        )
    paras += list(inputs.notes)
    return tuple(paras)


def build_document(
    inputs: ReportInputs,
    results: AnalysisResults,
    figures: Sequence[FigureFiles],
    *,
    published: bool,
) -> ReportDocument:
    """Assemble the document model from the tables and the drawn figures."""
    from hcctrial.report.published import comparison_table, conventions_table
    from hcctrial.report.published_inconsistencies import inconsistencies_table

    by_section: dict[str, list[FigureFiles]] = {}
    for f in figures:
        by_section.setdefault(_section_of(f.key, results), []).append(f)
    survival_tables = [survival_summary_table(results)]
    if results.incidence:
        survival_tables.append(incidence_table(results))
    survival_tables.append(primary_endpoint_table(results))
    subgroup_endpoints = list(dict.fromkeys(s.endpoint for s in results.subgroups))
    sections = [
        Section(
            "trial",
            "Trial and methods",
            _methods_paragraphs(inputs, results),
            figures=tuple(by_section.get("trial", ())),
        ),
        Section("baseline", "Baseline characteristics", tables=(table1_baseline(inputs),)),
        Section(
            "response",
            "Tumour response",
            tables=(table2_response(results),),
            figures=tuple(by_section.get("response", ())),
        ),
        Section("safety", "Safety", tables=(table3_adverse_events(results),)),
        Section(
            "survival",
            "Survival and the primary endpoint",
            tables=tuple(survival_tables),
            figures=tuple(by_section.get("survival", ())),
        ),
        Section(
            "subgroups",
            "Subgroups and multivariable analysis",
            tables=(
                *(subgroup_table(results, k) for k in subgroup_endpoints),
                *((cox_table(results),) if results.cox else ()),
            ),
            figures=tuple(by_section.get("subgroups", ())),
        ),
    ]
    if results.sensitivity:
        sections.append(
            Section(
                "sensitivity",
                "Sensitivity analyses",
                (
                    "The sensitivity analyses the plan declares, each re-running the primary "
                    "analysis and its endpoints with one convention or definition changed. They "
                    "are labelled as such and do not replace the planned analyses.",
                ),
                tables=(sensitivity_table(results),),
            )
        )
    if published:
        sections.append(
            Section(
                "published",
                "Published vs reproduced",
                (
                    "Each figure printed in the paper beside the value recomputed from the raw records; "
                    "numbers that depend on a convention shown both ways; the paper's internal "
                    "inconsistencies with the value this report uses.",
                ),
                tables=(comparison_table(inputs, results), conventions_table(results)),
            )
        )
        sections.append(
            Section(
                "appendix",
                "Appendix: the paper's internal inconsistencies",
                (
                    "Each internal inconsistency of the paper, with the value computed from the "
                    "records when this report was built.",
                ),
                tables=(inconsistencies_table(inputs, results),),
            )
        )
    from hcctrial.report.provenance import provenance

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    prov = provenance(inputs, results.plan_file, results.plan_sha256, results.plan.regimen)
    return ReportDocument(
        inputs.title,
        f"Generated by hcctrial on {stamp}; n = {results.n_enrolled}; plan {results.plan.id} "
        f"{results.plan.version}.",
        tuple(_house_styled(sec) for sec in sections),
        trial=inputs.title.split(":")[0].strip(),
        provenance=prov.lines(),
    )


def _house_styled(section: Section) -> Section:
    from dataclasses import replace

    return replace(section, tables=tuple(house_style(t) for t in section.tables))


def _section_of(key: str, results: AnalysisResults) -> str:
    if key == "consort":
        return "trial"
    if key == "figure4":
        return "survival"
    if key in ("waterfall", "spider", "swimmer"):
        return "response"
    if key.startswith("km_") and key[3:] in results.endpoints:
        return "survival"
    return "subgroups"


def _resolve_inputs(source: Any, plan: PlanFile) -> ReportInputs:
    if isinstance(source, ReportInputs):
        return source
    from hcctrial.report.from_database import report_inputs_from_database
    from hcctrial.store.session import make_engine

    if isinstance(source, str | Path):
        engine = make_engine(str(source))
        try:
            return report_inputs_from_database(engine, plan=plan)
        finally:
            engine.dispose()
    return report_inputs_from_database(source, plan=plan)


def report_results(inputs: ReportInputs, plan: PlanFile | None = None) -> AnalysisResults:
    """Run the plan (default: the seed plan) on the analysis datasets of ``inputs``."""
    from hcctrial.analysis.plan import default_plan
    from hcctrial.analysis.run import analyse
    from hcctrial.report.inputs import analysis_datasets

    return analyse(plan or default_plan(), analysis_datasets(inputs))


def build_report(
    source: ReportInputs | str | Path | Any,
    out_dir: Path | str,
    formats: Sequence[str] = ("html", "docx"),
    *,
    published: bool | None = None,
    dpi: int = 300,
    workers: int | None = None,
    progress: Progress | None = None,
    plan: PlanFile | None = None,
    results: AnalysisResults | None = None,
    figure_width: str | None = None,
    ci_bands: bool = False,
) -> ReportPaths:
    """Write the report for ``source`` (inputs, database URL or engine) into ``out_dir``.

    ``formats``: any of ``html``, ``docx``, ``csv`` (tables as CSV are always written when
    ``csv`` is asked; figures are always written). ``published``: add the published-vs-reproduced
    section (default: when the inputs are the demo trial's). ``workers``: figure processes
    (default :func:`default_workers`). ``progress(stage, done, total)`` is called as the stages
    ``results``, ``figures`` (once per figure), ``html``, ``docx`` and ``csv`` finish.
    ``figure_width``: ``single``, ``double`` or mm (default: the plan's ``[outputs]
    figure_width``); ``ci_bands``: CI bands on the group Kaplan-Meier curves too.
    """
    if figure_width is not None:
        try:
            figure_style(figure_width)
        except ValueError as exc:
            raise DataValidationError(str(exc), field="figure_width") from None
    fmts = tuple(f.strip().lower() for f in formats if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise DataValidationError(
            f"format: got {list(formats)!r}; expected one or more of {list(FORMATS)}",
            field="format",
        )

    def tick(stage: str, done: int = 1, total: int = 1) -> None:
        if progress is not None:
            progress(stage, done, total)

    from hcctrial.analysis.plan import default_plan

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pf = plan or default_plan()
    inputs = _resolve_inputs(source, pf)
    if results is None:
        results = report_results(inputs, pf)
    tick("results")
    style = figure_style(figure_width or results.plan.outputs.figure_width)
    jobs = figure_jobs(inputs, results, style, ci_bands=ci_bands)
    figures = draw_figures(
        jobs,
        out / "figures",
        dpi=dpi,
        workers=default_workers() if workers is None else workers,
        progress=progress,
    )
    show_published = inputs.is_demo if published is None else published
    doc = build_document(inputs, results, figures, published=show_published)
    html_path = docx_path = None
    csv_paths: tuple[Path, ...] = ()
    if "html" in fmts:
        from hcctrial.report.render_html import render_html

        html_path = out / "report.html"
        html_path.write_text(render_html(doc), encoding="utf-8")
        tick("html")
    if "docx" in fmts:
        from hcctrial.report.render_docx import render_docx

        docx_path = render_docx(doc, out / "report.docx")
        tick("docx")
    tables: tuple[Table, ...] = doc.tables()
    if "csv" in fmts:
        from hcctrial.report.render_csv import write_csv_tables

        csv_paths = write_csv_tables(tables, out / "tables")
        tick("csv")
    return ReportPaths(out, html_path, docx_path, csv_paths, figures, tuple(t.key for t in tables))
