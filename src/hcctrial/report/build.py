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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.analysis.plan import PlanFile
from hcctrial.analysis.results import AnalysisResults
from hcctrial.errors import DataValidationError
from hcctrial.report.completeness import completeness_tables
from hcctrial.report.document import ReportDocument, Section
from hcctrial.report.figure_jobs import FigureJob, figure_jobs
from hcctrial.report.figure_style import figure_style
from hcctrial.report.figures import FigureFiles, save_figure
from hcctrial.report.inputs import Completeness, ReportInputs
from hcctrial.report.survival_tables import (
    cox_table,
    incidence_table,
    primary_endpoint_table,
    sensitivity_table,
    subgroup_table,
    survival_summary_table,
)
from hcctrial.report.tables import (
    Table,
    house_style,
    table1_baseline,
    table2_response,
    table3_adverse_events,
)

if TYPE_CHECKING:
    pass

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

FORMATS = ("html", "docx", "pdf", "csv", "xlsx")


@dataclass(frozen=True)
class ReportPaths:
    """What :func:`build_report` wrote (None for a format not asked for)."""

    out_dir: Path
    html: Path | None
    docx: Path | None
    csv: tuple[Path, ...]
    figures: tuple[FigureFiles, ...]
    tables: tuple[str, ...]
    pdf: Path | None = None
    xlsx: Path | None = None


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
        *(
            (
                Section(
                    "completeness",
                    "Data completeness",
                    (_completeness_text(inputs.completeness),),
                    tables=completeness_tables(inputs.completeness),
                ),
            )
            if inputs.completeness is not None
            else ()
        ),
        Section("baseline", "Baseline characteristics", tables=(table1_baseline(inputs),)),
        Section(
            "response",
            "Tumour response",
            tables=(table2_response(results),),
            figures=tuple(by_section.get("response", ())),
        ),
        *_treatment_sections(inputs, results),  # exposure, beside safety (as in a CSR)
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


def _treatment_sections(inputs: ReportInputs, results: AnalysisResults) -> tuple[Section, ...]:
    """The dose-intensity section, when the inputs carry the dose history (derived from the
    records) and the plan's regimen loads (its drugs, limits and cycle length head the table)."""
    from hcctrial.report.dose_intensity import dose_intensity_table
    from hcctrial.report.figure_jobs import _regimen

    regimen = _regimen(results) if inputs.dose_history is not None else None
    if regimen is None or inputs.dose_history is None:
        return ()
    table = dose_intensity_table(inputs.dose_history, regimen, len(inputs.subjects))
    return (Section("treatment", "Dose intensity", tables=(table,)),)


def _completeness_text(c: Completeness) -> str:
    if not c.set_aside:
        return f"All {c.enrolled} enrolled patients are analysed; the records each one has:"
    return (
        f"{c.enrolled - len(c.set_aside)} of {c.enrolled} enrolled patients are analysed: "
        f"{len(c.set_aside)} cannot be yet (listed below with the record they lack). Every "
        "table and figure is of the patients analysed; the trial is in progress."
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


def _check_presets(figure_width: str | None, word_fonts: str | None) -> None:
    """Refuse a figure width or Word font preset that does not exist, before any work."""
    from hcctrial.analysis.word_fonts import word_fonts as word_fonts_preset

    for field, value, check in (
        ("figure_width", figure_width, figure_style),
        ("word_fonts", word_fonts, word_fonts_preset),
    ):
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                raise DataValidationError(str(exc), field=field) from None


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
    word_fonts: str | None = None,
) -> ReportPaths:
    """Write the report for ``source`` (inputs, database URL or engine) into ``out_dir``.

    ``formats``: any of ``html``, ``docx``, ``pdf`` (A4, the HTML printed by Chromium),
    ``csv`` (``tables/<key>.csv``) and ``xlsx`` (``tables.xlsx``); figures are always written. ``published``: add the published-vs-reproduced
    section (default: when the inputs are the demo trial's). ``workers``: figure processes
    (default :func:`default_workers`). ``progress(stage, done, total)`` is called as the stages
    ``results``, ``figures`` (once per figure), ``html``, ``docx`` and ``csv`` finish.
    ``figure_width``: ``single``, ``double`` or mm (default: the plan's ``[outputs]
    figure_width``); ``ci_bands``: CI bands on the group Kaplan-Meier curves too;
    ``word_fonts``: the Word file's font preset, ``times``, ``arial`` or ``calibri`` (default: the
    plan's ``[outputs] word_fonts``; :mod:`hcctrial.analysis.word_fonts`).
    """
    _check_presets(figure_width, word_fonts)
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
    html_path = docx_path = pdf_path = None
    csv_paths: tuple[Path, ...] = ()
    if "html" in fmts or "pdf" in fmts:
        from hcctrial.report.render_html import render_html

        html_path = out / "report.html"
        html_path.write_text(render_html(doc), encoding="utf-8")
        tick("html")
    pending = print_path = None
    if "pdf" in fmts and html_path is not None:
        from hcctrial.report.render_html import render_html
        from hcctrial.report.render_pdf import start_pdf

        print_path = out / "report.print.html"  # the figures as their PNG files (see render_html)
        print_path.write_text(render_html(doc, print_png=True), encoding="utf-8")
        pending = start_pdf(print_path, out / "report.pdf")  # Chromium prints beside the Word
    if "docx" in fmts:
        from hcctrial.report.render_docx import render_docx

        fonts = word_fonts or results.plan.outputs.word_fonts
        docx_path = render_docx(doc, out / "report.docx", fonts)
        tick("docx")
    if pending is not None and html_path is not None and print_path is not None:
        try:
            pdf_path = pending.wait()
        finally:
            print_path.unlink(missing_ok=True)
        if "html" not in fmts:
            html_path.unlink()
            html_path = None
        tick("pdf")
    tables: tuple[Table, ...] = doc.tables()
    if "csv" in fmts:
        from hcctrial.report.render_csv import write_csv_tables

        csv_paths = write_csv_tables(tables, out / "tables")
        tick("csv")
    xlsx_path = None
    if "xlsx" in fmts:
        from hcctrial.report.render_csv import write_xlsx_tables

        xlsx_path = write_xlsx_tables(tables, out / "tables.xlsx")
        tick("xlsx")
    return ReportPaths(
        out,
        html_path,
        docx_path,
        csv_paths,
        figures,
        tuple(t.key for t in tables),
        pdf_path,
        xlsx_path,
    )
