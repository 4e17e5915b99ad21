"""``hcctrial init | import | export | audit verify``: the trial database from the command line.

Every command takes ``--database URL`` (a SQLAlchemy URL or a SQLite file path; default
``$HCCTRIAL_DATABASE_URL``, else ``./hcctrial.sqlite``) and ``--json``. Exit codes: 0 success,
2 bad input (a bad CSV row is named by table, row and column; nothing is written), 1 when
``audit verify`` finds a broken record (named on stderr). SQLAlchemy is imported inside the
commands so that ``hcctrial --help`` stays fast. ``demo`` and ``analyze`` join this module later.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hcctrial.cli.acting import ACTOR, TOKEN, USER

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine

app = typer.Typer(no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(audit_app, name="audit", help="The audit trail: verify the hash chain and tables.")

_JSON = typer.Option("--json", help="Print the result as one JSON object.")
_DATABASE = typer.Option(
    "--database",
    help="SQLAlchemy URL or SQLite file (default: $HCCTRIAL_DATABASE_URL, else ./hcctrial.sqlite).",
)


def _emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    from hcctrial.cli.main import emit

    emit(result, as_json, text)


@contextmanager
def open_database(
    database: str | None,
    *,
    require_schema: bool = True,
    create: bool = False,
    migrate: bool = False,
) -> Iterator[Engine]:
    """Yield an engine for ``database``, connected once and checked; dispose of it after.

    The one way every command opens the trial database. ``require_schema``: the database must be
    at the newest schema (else a named error says to run ``hcctrial init``); ``migrate``: create
    or upgrade the schema instead (``init``, ``demo``). Only ``create`` may make a new SQLite file
    (read-only commands never create one where a misspelt path points). A connection problem
    before or inside the ``with`` body (refused port, locked database, ...) becomes a named
    :class:`hcctrial.store.session.DatabaseUnavailable` (exit code 2).
    """
    from hcctrial.store.migrations import require_current_schema, upgrade_to_head
    from hcctrial.store.session import connect_engine, database_problem

    engine = connect_engine(database, create=create)
    url = engine.url.render_as_string(hide_password=False)
    try:
        try:
            if migrate:
                upgrade_to_head(engine)
            elif require_schema:
                require_current_schema(engine)
            yield engine
        except Exception as exc:
            problem = database_problem(exc, url)
            if problem is None or problem is exc:
                raise
            raise problem from None
    finally:
        engine.dispose()


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@app.command("init")
def init_command(
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Create the database's tables (or upgrade them to the newest schema)."""
    from hcctrial.store.migrations import head_revision
    from hcctrial.store.models import DATA_TABLES

    with open_database(database, create=True, migrate=True) as engine:
        revision = head_revision()
        result = {
            "database": _shown(engine),
            "revision": revision,
            "tables": [m.__tablename__ for m in DATA_TABLES],
        }
    _emit(result, as_json, f"database {result['database']} is at schema revision {revision}")


@app.command("import")
def import_command(
    directory: Annotated[
        Path,
        typer.Argument(help="Directory of <table>.csv files (--format redcap: a records CSV)."),
    ],
    database: Annotated[str | None, _DATABASE] = None,
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the audit trail).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv (a directory, default) or redcap (a file).")
    ] = "csv",
    dictionary: Annotated[
        Path | None, typer.Option(help="REDCap data dictionary CSV (with --format redcap).")
    ] = None,
    user: Annotated[str | None, USER] = None,
    token: Annotated[str | None, TOKEN] = None,
    actor: Annotated[str | None, ACTOR] = None,
    with_history: Annotated[
        bool,
        typer.Option(
            "--with-history",
            help="Restore an export of `hcctrial export` with its audit history (records, "
            "versions, every audit entry) into an empty database (docs/database.md).",
        ),
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Import CSV files (one per table) in one transaction: all rows or none.

    Every row passes the rules of the trial, as a form's save does (docs/rules.md); any bad row is
    reported as file, row, column, value, what was expected and the rule, and nothing is written
    (exit code 2). ``--format redcap --dictionary DICT.csv`` reads a REDCap records export instead
    (errors name the record, event and field; the same rules apply). A value that is possible but
    worth a second look (a lab far outside its normal range, a large change, a cycle outside its
    window) is imported and raises a query to the site, as after a form's save
    (docs/data-management.md, "Automatic queries").

    The import acts as ``--user`` (an active account, proven by its password on stdin or an
    API token): its role and site decide what it may write, and the audit trail names it.
    """
    from hcctrial.cli.acting import cli_actor, proof
    from hcctrial.services.imports import import_directory
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store.session import open_session

    settings = load_settings(database_url=database)
    if with_history:
        _import_with_history(directory, settings.database_url, as_json)
        return
    why = reason or f"import from {directory}"
    secrets = proof(settings, user or actor, token)
    with open_database(settings.database_url) as engine:
        with open_session(engine) as session:
            who = cli_actor(session, settings, user, token, actor, secrets=secrets)
            uow = UnitOfWork(session, who, settings=settings)
            if fmt != "csv":
                from hcctrial.interop.redcap_import import import_redcap_file

                counts = import_redcap_file(uow, directory, dictionary, fmt=fmt, reason=why)
            else:
                counts = import_directory(uow, directory, reason=why)
        shown = _shown(engine)
    total = sum(counts.values())
    lines = [f"imported {total} rows into {shown}:"]
    lines += [f"  {table:<22} {n:>8}" for table, n in counts.items()]
    _emit({"database": shown, "rows": counts, "total": total}, as_json, "\n".join(lines))


def _import_with_history(directory: Path, database: str | None, as_json: bool) -> None:
    """``import DIR --with-history``: :func:`hcctrial.services.history.restore_history`."""
    from hcctrial.errors import field_error
    from hcctrial.services.history import restore_history
    from hcctrial.store.session import open_session

    if not directory.is_dir():
        raise field_error("DIR", str(directory), "a directory written by `hcctrial export`")
    with open_database(database) as engine:
        with open_session(engine) as session:
            counts = restore_history(session, directory)
        shown = _shown(engine)
    lines = [f"restored {counts['audit_log']} audit entries and the records into {shown}:"]
    lines += [f"  {table:<22} {n:>8}" for table, n in counts.items() if table != "audit_log"]
    _emit({"database": shown, "rows": counts}, as_json, "\n".join(lines))


@app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write <table>.csv files into.")],
    database: Annotated[str | None, _DATABASE] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv|sav|dta|xpt|sdtm|adam|odm|redcap (default csv); several (a,b) or all: "
            "each into DIR/<format>/.",
        ),
    ] = "csv",
    sap: Annotated[
        str | None,
        typer.Option(
            "--sap",
            help="Statistical analysis plan the derived datasets follow: a .toml file or a "
            "bundled plan name (default: the seed plan, sorafenib_tace_haic_folfox).",
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Export every table (and the audit log) as one CSV file per table.

    ``--format`` writes SPSS/Stata/SAS transport files, CDISC SDTM or ADaM (XPT + define.xml),
    CDISC ODM 1.3 or a REDCap project instead (docs/interop.md), derived as ``--sap`` defines.
    """
    from hcctrial.store.csv_io import export_directory
    from hcctrial.store.session import open_session

    if sap is not None:
        from hcctrial.analysis.plan import load_plan

        load_plan(sap)  # a bad plan is refused before anything is written (csv does not use it)
    if fmt != "csv":
        from hcctrial.cli.interop import export_other_format

        export_other_format(database, directory, fmt, as_json, sap)
        return
    with open_database(database) as engine, open_session(engine) as session:
        counts = export_directory(session, directory)
    lines = [f"exported to {directory}:"]
    lines += [f"  {table}.csv{'':<10} {n:>8} rows" for table, n in counts.items()]
    _emit({"directory": str(directory), "rows": counts}, as_json, "\n".join(lines))


def _read_checkpoints(paths: list[Path]) -> list[Any]:
    """The checkpoints in ``paths``: each file one JSON object, a JSON array of them, or JSON
    lines (a log of ``audit checkpoint`` outputs). A bad file is a named error (exit code 2)."""
    import json

    from hcctrial.errors import field_error
    from hcctrial.store.audit_verify import Checkpoint

    found: list[Checkpoint] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise field_error(
                "--checkpoint", str(path), f"a readable file ({exc.strerror})"
            ) from None
        try:
            loaded = json.loads(text)
            items = loaded if isinstance(loaded, list) else [loaded]
        except ValueError:
            try:
                items = [json.loads(line) for line in text.splitlines() if line.strip()]
            except ValueError:
                items = [None]
        for item in items:
            ok = (
                isinstance(item, dict)
                and type(item.get("seq")) is int
                and item["seq"] >= 0
                and isinstance(item.get("head"), str)
                and len(item["head"]) == 64
            )
            if not ok:
                raise field_error(
                    "--checkpoint",
                    str(path),
                    'JSON {"seq": N, "head": "<64 hex digits>", "at": "...Z"} as written by '
                    "`hcctrial audit checkpoint` (one object, an array or one per line)",
                )
            assert isinstance(item, dict)
            found.append(Checkpoint(int(item["seq"]), str(item["head"]), str(item.get("at", ""))))
    return found


@audit_app.command("checkpoint")
def audit_checkpoint_command(
    database: Annotated[str | None, _DATABASE] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the checkpoint (one JSON object) to this file."),
    ] = None,
) -> None:
    """Print the chain head as a checkpoint {"seq", "head", "at"} to keep outside the database.

    The chain is verified first (exit 1 if broken: a checkpoint of a broken chain is refused).
    Keep the output where the database's users cannot change it; `audit verify --checkpoint FILE`
    then proves the chain still passes through it.
    """
    import json
    from datetime import UTC, datetime

    from hcctrial.errors import IntegrityError
    from hcctrial.store.audit_verify import verify_audit
    from hcctrial.store.session import open_session

    with open_database(database) as engine, open_session(engine) as session:
        report = verify_audit(session)
    first = report.first_problem
    if first is not None:
        raise IntegrityError(f"no checkpoint of a broken chain; first problem: {first.message}")
    at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    checkpoint = {"seq": report.entries, "head": report.head_hash, "at": at}
    text = json.dumps(checkpoint)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    typer.echo(text)


@audit_app.command("verify")
def audit_verify_command(
    database: Annotated[str | None, _DATABASE] = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint file from `audit checkpoint` (repeatable): the chain must still "
            "pass through each.",
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Replay the keyed audit chain against checkpoints and the tables.

    Exit 0 intact, 1 broken (each problem named: table, id, what), 2 cannot run (no database, no
    key, a bad checkpoint file). --json prints {"intact", "entries", "problems": [{"table", "id",
    "what"}]}.
    """
    from hcctrial.errors import IntegrityError
    from hcctrial.store.audit_verify import verify_audit
    from hcctrial.store.session import open_session

    checkpoints = _read_checkpoints(list(checkpoint or []))
    with open_database(database) as engine, open_session(engine) as session:
        report = verify_audit(session, checkpoints=checkpoints)
    result = report.as_dict()
    if report.ok:
        text = (
            f"audit trail intact: {report.entries} entries, {report.records} records match, "
            f"{len(checkpoints)} checkpoint(s) passed; head hash {report.head_hash}"
        )
    else:
        lines = [f"audit trail BROKEN: {len(report.problems)} problem(s)"]
        lines += [f"  {p.message}" for p in report.problems[:50]]
        text = "\n".join(lines)
    _emit(result, as_json, text)
    first = report.first_problem
    if first is not None:
        raise IntegrityError(f"first broken record: {first.message}")
