"""``hcctrial demo`` (the main job) and ``hcctrial analyze``: build, derive and analyse.

- ``hcctrial demo [--out DIR] [--database URL] [--json]`` builds the synthetic 66-patient trial as
  raw records (a fresh SQLite file ``DIR/demo.sqlite`` by default; a given database must be empty),
  derives the analysis datasets, runs the statistical plan and writes ``DIR/results.json``,
  ``DIR/subjects.csv`` and ``DIR/endpoints.csv``, with a progress bar on stderr.
- ``hcctrial analyze --database URL [--json]`` derives and analyses an existing trial database;
  its JSON holds the fixed contract of issue 6 (``n_enrolled``, ``best_response``, ``orr``, ``dcr``,
  ``adverse_events``, ``pfs``, ``os``, ``followup``) and more.

Heavy libraries are imported inside the commands so that ``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Engine

    from hcctrial.derive.analysis import AnalysisResult

app = typer.Typer(no_args_is_help=True, add_completion=False)

_JSON = typer.Option("--json", help="Print the result as one JSON object.")


@contextmanager
def _engine(database: str | None, *, migrate: bool) -> Iterator[Engine]:
    """Yield an engine (migrated to head when ``migrate``, else checked to be at head)."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from hcctrial.errors import DataValidationError
    from hcctrial.store.migrations import require_current_schema, upgrade_to_head
    from hcctrial.store.session import make_engine

    try:
        engine = make_engine(database)
    except (ArgumentError, ImportError) as exc:
        raise DataValidationError(
            f"--database: got {database!r}; expected a SQLAlchemy URL or a SQLite file ({exc})",
            field="database",
        ) from exc
    try:
        try:
            if migrate:
                upgrade_to_head(engine)
            else:
                require_current_schema(engine)
        except OperationalError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DataValidationError(
                f"--database: cannot open {engine.url.render_as_string(hide_password=True)} "
                f"({detail}); expected a reachable database",
                field="database",
            ) from exc
        yield engine
    finally:
        engine.dispose()


def _summary_text(result: AnalysisResult, out: Path | None = None) -> str:
    r = result.to_json()

    def med(s: dict[str, Any]) -> str:
        if s["median"] is None:
            return "not reached"
        lo = "NA" if s["lower"] is None else f"{s['lower']:.1f}"
        hi = "NA" if s["upper"] is None else f"{s['upper']:.1f}"
        return f"{s['median']:.1f} months (95% CI {lo}-{hi}, SPSS rule)"

    b = r["best_response"]
    pfs, os_, fu = r["pfs"], r["os"], r["followup"]
    lines = [
        f"screened {r['n_screened']}, enrolled {r['n_enrolled']}",
        f"best response: CR {b['CR']}, PR {b['PR']}, SD {b['SD']}, PD {b['PD']}; "
        f"ORR {r['orr']['pct']:.1f}% (95% CI {100 * r['orr']['lower']:.1f}-"
        f"{100 * r['orr']['upper']:.1f}), DCR {r['dcr']['pct']:.1f}%",
        f"PFS (as defined in the paper): {pfs['events']} events, median {med(pfs)}; "
        + ", ".join(f"{k} mo {100 * (v or 0):.1f}%" for k, v in pfs["rates"].items()),
        f"OS: {os_['events']} deaths, median {med(os_)}; "
        + ", ".join(f"{k} mo {100 * (v or 0):.1f}%" for k, v in os_["rates"].items()),
        f"follow-up: median {fu['median']:.1f} months (range {fu['min']:.0f}-{fu['max']:.0f}; "
        f"simple median), reverse KM {fu['reverse_km_median']:.1f}",
        f"primary endpoint: S(12) = {100 * r['primary_endpoint']['estimate']:.1f}% vs 30%, "
        f"one-sided p = {r['primary_endpoint']['p_one_sided']:.2g}",
    ]
    if out is not None:
        lines.append(f"results written to {out}/ (results.json, subjects.csv, endpoints.csv)")
    return "\n".join(lines)


@app.command("analyze")
def analyze_command(
    database: Annotated[
        str | None,
        typer.Option("--database", help="SQLAlchemy URL or SQLite file of the trial database."),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Derive the analysis datasets from a trial database and run the statistical plan."""
    from hcctrial.cli.main import emit
    from hcctrial.derive.analysis import analyse_database

    with _engine(database, migrate=False) as engine:
        trial = analyse_database(engine)
    emit(trial.result.to_json(), as_json, _summary_text(trial.result))


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
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Build the demo trial, derive the analysis datasets, run the plan, write the results."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import func, select

    from hcctrial.cli.main import emit
    from hcctrial.demo.cohort import build_cohort
    from hcctrial.demo.generate import write_demo_trial
    from hcctrial.derive.analysis import analyse_database
    from hcctrial.derive.endpoints import write_datasets_csv
    from hcctrial.errors import DataValidationError
    from hcctrial.store.models import Patient
    from hcctrial.store.session import open_session

    out.mkdir(parents=True, exist_ok=True)
    if database is None:
        db_file = out / "demo.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        database = f"sqlite:///{db_file.resolve()}"
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TimeElapsedColumn(),
        transient=False,
        disable=as_json,
    )
    with progress, _engine(database, migrate=True) as engine:
        task = progress.add_task("building the cohort", total=20)
        with open_session(engine) as session:
            n = session.execute(select(func.count()).select_from(Patient)).scalar_one()
        if n:
            raise DataValidationError(
                f"--database: got a database that already holds {n} patients; expected an "
                "empty one for the demo trial",
                field="database",
            )
        cohort = build_cohort()
        progress.update(task, advance=2, description="writing raw records")

        def step(table: str, done: int, total: int) -> None:
            progress.update(task, completed=2 + 14 * done / total, description=f"wrote {table}")

        summary = write_demo_trial(engine, cohort, progress=step)
        progress.update(task, completed=16, description="deriving datasets, analysing")
        trial = analyse_database(engine)
        progress.update(task, completed=19, description="writing results")
        write_datasets_csv(trial.subjects, trial.endpoints, out)
        payload = trial.result.to_json()
        payload["demo"] = {
            "database": engine.url.render_as_string(hide_password=True),
            "rows_written": summary.rows,
            "skeleton": cohort.skeleton_source,
            "seed": cohort.seed,
            "data_notes": list(cohort.data_notes),
        }
        (out / "results.json").write_text(
            json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8"
        )
        progress.update(task, completed=20, description="done")
    emit(payload, as_json, _summary_text(trial.result, out))
