"""``hcctrial demo`` (the main job) and ``hcctrial analyze``: build, derive and analyse.

- ``hcctrial demo [--out DIR] [--database URL] [--sap FILE] [--no-report] [--json]`` builds the
  synthetic 66-patient trial as raw records (a fresh SQLite file ``DIR/demo.sqlite`` by default; a
  given database must be empty), derives the analysis datasets, runs the statistical plan and writes
  ``DIR/results.json``, ``DIR/subjects.csv``, ``DIR/endpoints.csv`` and ``DIR/dose_history.csv``
  (cumulative doses and relative dose intensity per patient, drug and cycle), then the report from
  the same derived datasets (``DIR/report/report.html``, ``report.docx``, ``figures/*.png|svg``,
  with the published-vs-reproduced section), with a progress bar over the stages on stderr.
- ``hcctrial analyze --database URL [--sap FILE] [--json]`` derives and analyses an existing trial
  database; its JSON holds the fixed contract of issue 6 (``n_enrolled``, ``best_response``,
  ``orr``, ``dcr``, ``adverse_events``, ``pfs``, ``os``, ``followup``) and more, with ``plan``
  naming the plan file and its SHA-256 (:mod:`hcctrial.analysis.contract`).

``--sap`` names the statistical analysis plan (a ``.toml`` file or a bundled plan name; default:
the seed plan ``sorafenib_tace_haic_folfox``). Everything printed or written renders the one
:class:`~hcctrial.analysis.results.AnalysisResults` of :func:`hcctrial.analysis.run.analyse`.

Heavy libraries are imported inside the commands so that ``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Engine

    from hcctrial.analysis.results import AnalysisResults
    from hcctrial.analysis.trial import DerivedTrial

app = typer.Typer(no_args_is_help=True, add_completion=False)

_JSON = typer.Option("--json", help="Print the result as one JSON object.")
_SAP = typer.Option(
    "--sap",
    help="Statistical analysis plan: a .toml file or a bundled plan name "
    "(default: the seed plan, sorafenib_tace_haic_folfox).",
)


@contextmanager
def _engine(database: str | None, *, migrate: bool) -> Iterator[Engine]:
    """Yield an engine (migrated to head when ``migrate``, else checked to be at head)."""
    from hcctrial.cli.database import open_database

    with open_database(database, create=migrate, migrate=migrate) as engine:
        yield engine


def _summary_text(
    result: AnalysisResults, out: Path | None = None, report: dict[str, Any] | None = None
) -> str:
    from hcctrial.analysis.contract import analyze_json

    r = analyze_json(result)
    c = result.plan.conventions
    level = f"{100 * c.ci_level.level:g}%"
    rule = {"spss": "SPSS rule", "r": "R rule"}[c.median.rule]

    def f1(x: float | None) -> str:
        return "NA" if x is None else f"{x:.1f}"

    def med(s: dict[str, Any]) -> str:
        if s["median"] is None:
            return "not reached"
        return f"{s['median']:.1f} months ({level} CI {f1(s['lower'])}-{f1(s['upper'])}, {rule})"

    def survival(key: str, what: str) -> str:
        s = r.get(key)
        if s is None:
            return f"{key}: not estimable"
        ep = result.endpoints[s.get("endpoint", result.plan.outputs.json_os)]
        return f"{ep.label}: {s['events']} {what}, median {med(s)}; " + ", ".join(
            f"{k} mo {100 * (v or 0):.1f}%" for k, v in s["rates"].items()
        )

    b = r["best_response"]
    fu = r["followup"]
    p = result.primary
    if p.landmark is not None:
        primary = (
            f"S({p.landmark.time:g}) = {100 * p.landmark.surv:.1f}% vs "
            f"{100 * p.landmark.p0:g}%, {p.alternative} p = {p.p:.2g}"
        )
    elif p.logrank is not None:
        primary = (
            f"one-sample log-rank: {p.logrank.observed} events vs {p.logrank.expected:.1f} "
            f"expected, {p.alternative} p = {p.p:.2g}"
        )
    else:
        primary = f"not computed ({p.note})"
    lines = [
        f"plan {result.plan.id} {result.plan.version} ({result.plan_file}, sha256 "
        f"{result.plan_sha256[:12]})",
        f"screened {r['n_screened']}, enrolled {r['n_enrolled']}",
        f"best response: CR {b['CR']}, PR {b['PR']}, SD {b['SD']}, PD {b['PD']}; "
        f"ORR {r['orr']['pct']:.1f}% ({level} CI {100 * r['orr']['lower']:.1f}-"
        f"{100 * r['orr']['upper']:.1f}), DCR {r['dcr']['pct']:.1f}%",
        survival("pfs", "events"),
        survival("os", "deaths"),
        f"follow-up: median {f1(fu['median'])} months (range {f1(fu['min'])}-{f1(fu['max'])}; "
        f"{fu['method']}), reverse KM {f1(fu.get('reverse_km_median'))}",
        f"primary endpoint ({p.title}): {primary}",
    ]
    if out is not None:
        lines.append(
            f"results written to {out}/ (results.json, subjects.csv, endpoints.csv, "
            "dose_history.csv)"
        )
    if report is not None:
        n_fig = len(report["figures"]) // 2
        lines.append(
            f"report written to {report['dir']}/ (report.html, report.docx, {n_fig} figures as "
            "PNG 300 dpi + SVG)"
        )
    return "\n".join(lines)


@app.command("analyze")
def analyze_command(
    database: Annotated[
        str | None,
        typer.Option("--database", help="SQLAlchemy URL or SQLite file of the trial database."),
    ] = None,
    sap: Annotated[str | None, _SAP] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Derive the analysis datasets from a trial database and run the statistical plan."""
    from hcctrial.analysis.contract import analyze_json
    from hcctrial.analysis.plan import load_plan
    from hcctrial.analysis.trial import analyse_database
    from hcctrial.cli.locks import dataset_line, dataset_of
    from hcctrial.cli.main import emit

    plan = load_plan(sap)
    with _engine(database, migrate=False) as engine:
        dataset = dataset_of(engine)
        trial = analyse_database(engine, plan)
    result = {**analyze_json(trial.result), "dataset": dataset}
    emit(result, as_json, _summary_text(trial.result) + "\n" + dataset_line(dataset))


#: Share of the progress bar per stage of ``hcctrial demo`` (out of 100).
_STAGES: dict[str, tuple[float, float]] = {
    "cohort": (0, 6),
    "records": (6, 40),
    "analysis": (40, 50),
    "results": (50, 52),
    "report results": (52, 56),
    "figures": (56, 92),
    "html": (92, 93),
    "docx": (93, 97),
    "pdf": (97, 100),
}

#: Modules the main process imports while the writer process builds the trial (they are what the
#: derivation, the engines and the report need; importing them is ~2 s of the demo's wall time,
#: so it overlaps the database writes on the second core instead of following them).
#: ``module:function`` also calls a set-up function of the module (pint's registry, matplotlib).
_WARM_UP = (
    "sqlalchemy",
    "hcctrial.clinical.units:unit_registry",
    "hcctrial.store.models",
    "hcctrial.store.session",
    "hcctrial.analysis.run",
    "hcctrial.analysis.contract",
    "hcctrial.derive.subject",
    "hcctrial.derive.endpoints",
    "hcctrial.derive.records",
    "scipy.stats",
    "hcctrial.stats.kaplan_meier",
    "hcctrial.stats.km_quantiles",
    "hcctrial.stats.logrank",
    "hcctrial.stats.cox",
    "hcctrial.stats.landmark",
    "hcctrial.stats.proportions",
)
_WARM_UP_REPORT = (
    "hcctrial.report.build:_import_matplotlib",
    "hcctrial.report.figures_more",
    "hcctrial.report.from_database",
    "hcctrial.report.published",
    "hcctrial.report.render_html",
    "hcctrial.report.render_docx",
    "docx",
)


def _build_trial(database: str, progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    """Migrate ``database``, check it is empty, build the cohort and write the demo trial.

    ``progress(stage, done, total)`` with stage ``cohort`` (cohort built) or ``<table name>``.
    Returns the ``demo`` part of the results (database URL, rows written, cohort provenance).
    """
    from sqlalchemy import func, select

    from hcctrial.demo.cohort import build_cohort
    from hcctrial.demo.generate import write_demo_trial
    from hcctrial.errors import DataValidationError
    from hcctrial.store.models import Patient
    from hcctrial.store.session import open_session

    with _engine(database, migrate=True) as engine:
        with open_session(engine) as session:
            n = session.execute(select(func.count()).select_from(Patient)).scalar_one()
        if n:
            raise DataValidationError(
                f"--database: got a database that already holds {n} patients; expected an "
                "empty one for the demo trial",
                field="database",
            )
        cohort = build_cohort()
        progress("cohort", 1, 1)
        summary = write_demo_trial(engine, cohort, progress=progress)
        return {
            "database": engine.url.render_as_string(hide_password=True),
            "rows_written": summary.rows,
            "skeleton": cohort.skeleton_source,
            "seed": cohort.seed,
            "data_notes": list(cohort.data_notes),
        }


def _writer_process(database: str, conn: Any) -> None:
    """Body of the forked writer: run :func:`_build_trial`, send progress and the outcome on
    ``conn`` (an HcctrialError as its class, message and field, so the parent re-raises it)."""
    import traceback

    from hcctrial.errors import HcctrialError

    try:
        info = _build_trial(database, lambda stage, i, k: conn.send(("progress", stage, i, k)))
        conn.send(("done", info))
    except HcctrialError as exc:
        conn.send(("error", type(exc), exc.message, exc.field))
    except BaseException:
        conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


def _build_trial_beside_imports(
    database: str, progress: Callable[[str, int, int], None], warm_up: tuple[str, ...]
) -> dict[str, Any]:
    """Run :func:`_build_trial` in a forked process while this one imports ``warm_up``.

    Without ``fork`` (Windows, or macOS by choice) everything runs here, one after the other.
    """
    import importlib
    import multiprocessing

    from hcctrial.errors import HcctrialError

    def warm(item: str) -> None:
        module, _, function = item.partition(":")
        loaded = importlib.import_module(module)
        if function:
            getattr(loaded, function)()

    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Linux has it
        info = _build_trial(database, progress)
        for item in warm_up:
            warm(item)
        return info
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    writer = ctx.Process(target=_writer_process, args=(database, send), daemon=True)
    writer.start()
    send.close()
    outcome: tuple[Any, ...] | None = None

    def handle(block: bool) -> None:
        nonlocal outcome
        while outcome is None and (block or receive.poll()):
            try:
                msg = receive.recv()
            except EOFError:
                outcome = ("crash", f"the demo writer process ended (exit code {writer.exitcode})")
                return
            if msg[0] == "progress":
                progress(*msg[1:])
            else:
                outcome = msg

    try:
        for item in warm_up:
            warm(item)
            handle(block=False)
        handle(block=True)
    finally:
        writer.join()
        receive.close()
    assert outcome is not None
    if outcome[0] == "done":
        return dict(outcome[1])
    if outcome[0] == "error":
        cls, message, field = outcome[1:]
        if issubclass(cls, HcctrialError):
            try:
                exc = cls(message, field=field)
            except TypeError:  # a subclass with a constructor of its own (refusal, CSV error)
                exc = HcctrialError(message, field=field)
                exc.exit_code = cls.exit_code
            raise exc
    raise RuntimeError(f"hcctrial demo: building the trial failed:\n{outcome[-1]}")


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for the results.")] = Path("out"),
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="An empty database to build the trial in "
            "(default: a fresh SQLite file OUT/demo.sqlite).",
        ),
    ] = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="Also write the full report (HTML + Word, figures) into OUT/report/.",
        ),
    ] = True,
    sap: Annotated[str | None, _SAP] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Build the demo trial, derive the datasets, run the plan, write the results and report.

    The trial is written by a second process while this one loads the engines, so that the two
    cores work at once; the report's figures are drawn by two processes.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hcctrial.analysis.plan import load_plan
    from hcctrial.cli.main import emit

    plan = load_plan(sap)  # a bad plan is refused before anything is built
    out.mkdir(parents=True, exist_ok=True)
    if database is None:
        db_file = out / "demo.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        database = f"sqlite:///{db_file.resolve()}"
    # no auto-refresh thread: the writer and the figure workers are forked, and a fork must not
    # happen while another thread may hold the console's lock; every update refreshes instead.
    progress = Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        auto_refresh=False,
        transient=False,
        disable=as_json,
    )
    total = 100.0 if report else _STAGES["results"][1]
    task = progress.add_task("building the cohort", total=total)

    def stage(name: str, done: float = 1.0, of: float = 1.0, text: str | None = None) -> None:
        lo, hi = _STAGES[name]
        progress.update(
            task, completed=lo + (hi - lo) * done / max(of, 1.0), description=text or name
        )
        progress.refresh()

    def writer_progress(name: str, done: int, of: int) -> None:
        if name == "cohort":
            stage("cohort", text="writing raw records")
        else:
            stage("records", done, of, f"wrote {name}")

    with progress:
        demo = _build_trial_beside_imports(
            database, writer_progress, _WARM_UP + (_WARM_UP_REPORT if report else ())
        )
        stage("records", text="deriving datasets, analysing")
        from hcctrial.analysis.contract import analyze_json
        from hcctrial.analysis.trial import analyse_database
        from hcctrial.derive.dose_history import write_dose_history_csv
        from hcctrial.derive.endpoints import write_datasets_csv
        from hcctrial.store.session import make_engine

        engine = make_engine(database)
        try:
            trial = analyse_database(engine, plan)
            stage("analysis", text="writing results")
            write_datasets_csv(trial.subjects, trial.endpoints, out)
            write_dose_history_csv(trial.records, out)  # cumulative doses and RDI (issue 13)
            payload = analyze_json(trial.result)
            payload["demo"] = demo
            stage("results", text="report: engine results" if report else "done")
            if report:
                payload["demo"]["report"] = _write_report(engine, trial, out / "report", stage)
        finally:
            engine.dispose()
        (out / "results.json").write_text(
            json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8"
        )
    emit(payload, as_json, _summary_text(trial.result, out, payload["demo"].get("report")))


def _write_report(
    engine: Engine, trial: DerivedTrial, report_dir: Path, stage: Callable[..., None]
) -> dict[str, Any]:
    """Write the full report (HTML + Word, published-vs-reproduced section) of the plan's result
    the demo already computed (no second load, derivation or analysis); return its paths."""
    from hcctrial.report.build import build_report
    from hcctrial.report.from_database import report_inputs_from_derived, screen_failure_reasons
    from hcctrial.store.session import open_session

    with open_session(engine) as session:
        failures = screen_failure_reasons(session)
    inputs = report_inputs_from_derived(
        trial.records,
        trial.subjects,
        trial.endpoints,
        screen_failure_reasons=failures,
        is_demo=True,
        datasets=trial.datasets,
    )
    from hcctrial.report.render_pdf import chromium_path

    formats = ("html", "docx", "pdf") if chromium_path() else ("html", "docx")
    following = {
        "results": "drawing figures",
        "html": "writing Word" + (", printing PDF" if "pdf" in formats else ""),
        "docx": "printing PDF" if "pdf" in formats else "done",
        "pdf": "done",
    }

    def report_stage(name: str, done: int, of: int) -> None:
        key = "report results" if name == "results" else name
        text = following.get(name, f"figure {done}/{of}" if name == "figures" else name)
        if name == "figures" and done == of:
            text = "writing HTML"
        stage(key, done, of, text)

    paths = build_report(
        inputs,
        report_dir,
        formats,
        published=True,
        progress=report_stage,
        results=trial.result,
    )
    return {
        "dir": str(paths.out_dir),
        "html": str(paths.html),
        "docx": str(paths.docx),
        "pdf": None if paths.pdf is None else str(paths.pdf),
        "figures": [str(f.png) for f in paths.figures] + [str(f.svg) for f in paths.figures],
        "tables": list(paths.tables),
    }
