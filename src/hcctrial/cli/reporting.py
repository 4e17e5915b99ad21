"""``hcctrial report``: the trial report (tables and figures) as HTML and Word from a database.

``hcctrial report [--database URL] [--out DIR] [--format html,docx] [--published/--no-published]
[--sap FILE] [--figure-width single|double|MM] [--word-fonts times|arial|calibri] [--ci-bands]
[--json]`` derives the analysis datasets from the raw records, runs the statistical analysis plan
(``--sap``: a .toml file or bundled plan name; default the seed plan) and writes
``DIR/report.html`` (self-contained), ``DIR/report.docx``, ``DIR/figures/*.png|svg`` and, with
``pdf``, ``csv`` or ``xlsx`` in ``--format``, ``DIR/report.pdf`` (A4, printed by headless
Chromium), ``DIR/tables/*.csv`` and ``DIR/tables.xlsx`` (title, footnotes, numbers as numbers).
A rich progress bar on stderr shows the stages while it builds. Heavy libraries are imported
inside the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)

#: What the report does after each stage of :func:`hcctrial.report.build.build_report`.
_NEXT = {
    "results": "drawing figures",
    "figures": "writing HTML",
    "html": "writing Word (and printing PDF)",
    "docx": "writing tables (and printing PDF)",
    "pdf": "writing tables",
    "csv": "writing tables",
    "xlsx": "done",
}


@contextmanager
def _progress(*, quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display on stderr, fed by the report's (stage, done, total) callback.

    No auto-refresh thread: the figure workers are forked, and a fork must not happen while
    another thread may hold the console's lock; every update refreshes instead."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        auto_refresh=False,
        disable=quiet,
    )
    task = bar.add_task("loading, deriving, analysing", total=None)

    def update(stage: str, done: int, total: int) -> None:
        if stage == "figures":
            bar.update(task, total=total, completed=done, description=f"figure {done}/{total}")
            if done < total:
                bar.refresh()
                return
        bar.update(task, description=_NEXT.get(stage, stage))
        bar.refresh()

    with bar:
        yield update


@app.command("report")
def report_command(
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Trial database URL or SQLite file "
            "(default: $HCCTRIAL_DATABASE_URL, else the default SQLite file).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for the report.")] = Path("report"),
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, docx, pdf, csv, xlsx.")
    ] = "html,docx",
    published: Annotated[
        bool | None,
        typer.Option(
            "--published/--no-published",
            help="Add the published-vs-reproduced section (default: for the demo trial).",
        ),
    ] = None,
    sap: Annotated[
        str | None,
        typer.Option(
            "--sap",
            help="Statistical analysis plan: a .toml file or a bundled plan name "
            "(default: the seed plan, sorafenib_tace_haic_folfox).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the written paths as JSON.")
    ] = False,
    figure_width: Annotated[
        str | None,
        typer.Option(
            "--figure-width",
            help="Figure width as printed: single (85 mm), double (174 mm) or a width in mm "
            "(default: the plan's [outputs] figure_width).",
        ),
    ] = None,
    ci_bands: Annotated[
        bool,
        typer.Option("--ci-bands/--no-ci-bands", help="CI bands on the group Kaplan-Meier curves."),
    ] = False,
    word_fonts: Annotated[
        str | None,
        typer.Option(
            "--word-fonts",
            help="Fonts of the Word file: times (Times New Roman 12 pt, Arial headings), arial "
            "or calibri (default: the plan's [outputs] word_fonts).",
        ),
    ] = None,
) -> None:
    """Write the trial report (HTML and Word) from the raw records of a trial database."""
    from hcctrial.analysis.plan import load_plan
    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.errors import DataValidationError
    from hcctrial.report.build import FORMATS, build_report

    plan = load_plan(sap)
    if figure_width is not None:
        from hcctrial.analysis.figure_width import figure_width_mm

        try:
            figure_width_mm(figure_width)
        except ValueError as exc:
            raise DataValidationError(f"--figure-width: {exc}", field="figure_width") from None
    if word_fonts is not None:
        from hcctrial.analysis.word_fonts import word_fonts as word_fonts_preset

        try:
            word_fonts_preset(word_fonts)
        except ValueError as exc:
            raise DataValidationError(f"--word-fonts: {exc}", field="word_fonts") from None
    fmts = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise DataValidationError(
            f"--format: got {formats!r}; expected a comma-separated list of {', '.join(FORMATS)}",
            field="format",
        )
    from hcctrial.cli.locks import dataset_line, dataset_of

    with open_database(database) as engine, _progress(quiet=as_json) as progress:
        dataset = dataset_of(engine)
        paths = build_report(
            engine,
            out,
            fmts,
            published=published,
            plan=plan,
            figure_width=figure_width,
            ci_bands=ci_bands,
            word_fonts=word_fonts,
            progress=progress,
        )
    result = {
        "out": str(paths.out_dir),
        "html": None if paths.html is None else str(paths.html),
        "docx": None if paths.docx is None else str(paths.docx),
        "csv": [str(p) for p in paths.csv],
        "pdf": None if paths.pdf is None else str(paths.pdf),
        "xlsx": None if paths.xlsx is None else str(paths.xlsx),
        "figures": [str(f.png) for f in paths.figures] + [str(f.svg) for f in paths.figures],
        "tables": list(paths.tables),
        "plan": plan.reference(),
        "dataset": dataset,
    }
    lines = [f"report written to {paths.out_dir}"]
    lines += [f"  {k}: {result[k]}" for k in ("html", "docx", "pdf", "xlsx") if result[k]]
    lines.append(f"  {len(paths.figures)} figures (PNG 300 dpi + SVG), {len(paths.tables)} tables")
    lines.append(dataset_line(dataset))
    emit(result, as_json, "\n".join(lines))
