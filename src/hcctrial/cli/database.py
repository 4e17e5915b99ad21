"""``hcctrial init | import | export | audit verify``: the trial database from the command line.

Every command takes ``--database URL`` (a SQLAlchemy URL or a SQLite file path; default
``$HCCTRIAL_DATABASE_URL``, else ``./hcctrial.sqlite``) and ``--json``. Exit codes: 0 success,
2 bad input (a bad CSV row is named by table, row and column; nothing is written), 1 when
``audit verify`` finds a broken record (named on stderr). SQLAlchemy is imported inside the
commands so that ``hcctrial --help`` stays fast. ``demo`` and ``analyze`` join this module later.
"""

from __future__ import annotations

import getpass
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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


def _default_actor() -> str:
    try:
        return getpass.getuser() or "cli"
    except Exception:  # no login name (containers)
        return "cli"


@contextmanager
def open_database(database: str | None, *, require_schema: bool = True) -> Iterator[Engine]:
    """Yield an engine for ``database`` (checked to be at the newest schema); dispose it after."""
    from hcctrial.store.migrations import require_current_schema
    from hcctrial.store.session import make_engine

    engine = make_engine(database)
    try:
        if require_schema:
            require_current_schema(engine)
        yield engine
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
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.models import DATA_TABLES

    with open_database(database, require_schema=False) as engine:
        revision = upgrade_to_head(engine)
        result = {
            "database": _shown(engine),
            "revision": revision,
            "tables": [m.__tablename__ for m in DATA_TABLES],
        }
    _emit(result, as_json, f"database {result['database']} is at schema revision {revision}")


def _acting_user(session: Any, username: str | None, actor: str) -> Any:
    """The actor of a command: the web user ``username`` (its role and site apply), else the
    operator of the database ``actor`` (an admin of every site)."""
    from sqlalchemy import select

    from hcctrial.errors import field_error
    from hcctrial.services.permissions import Actor
    from hcctrial.store import models as m

    if username is None:
        return Actor.system(actor)
    user = session.scalars(select(m.User).where(m.User.username == username)).first()
    if user is None or not user.active:
        raise field_error("--user", username, "the name of an active user of this database")
    return Actor(user.id, user.username, user.role, user.site_id)


@app.command("import")
def import_command(
    directory: Annotated[Path, typer.Argument(help="Directory of <table>.csv files.")],
    database: Annotated[str | None, _DATABASE] = None,
    actor: Annotated[str | None, typer.Option(help="Who imports (default: login name).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the audit trail).")] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Import as this web user: its role and site decide what it may write (default: "
            "the database operator, an admin of every site).",
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Import CSV files (one per table) in one transaction: all rows or none.

    Every row passes the rules of the trial, as a form's save does (docs/rules.md); any bad row is
    reported as file, row, column, value, what was expected and the rule, and nothing is written
    (exit code 2).
    """
    from hcctrial.services.imports import import_directory
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store.session import open_session

    settings = load_settings(database_url=database)
    who = actor or _default_actor()
    why = reason or f"import from {directory}"
    with open_database(settings.database_url) as engine:
        with open_session(engine) as session:
            uow = UnitOfWork(session, _acting_user(session, user, who), settings=settings)
            counts = import_directory(uow, directory, reason=why)
        shown = _shown(engine)
    total = sum(counts.values())
    lines = [f"imported {total} rows into {shown}:"]
    lines += [f"  {table:<22} {n:>8}" for table, n in counts.items()]
    _emit({"database": shown, "rows": counts, "total": total}, as_json, "\n".join(lines))


@app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write <table>.csv files into.")],
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Export every table (and the audit log) as one CSV file per table."""
    from hcctrial.store.csv_io import export_directory
    from hcctrial.store.session import open_session

    with open_database(database) as engine, open_session(engine) as session:
        counts = export_directory(session, directory)
    lines = [f"exported to {directory}:"]
    lines += [f"  {table}.csv{'':<10} {n:>8} rows" for table, n in counts.items()]
    _emit({"directory": str(directory), "rows": counts}, as_json, "\n".join(lines))


@audit_app.command("verify")
def audit_verify_command(
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Replay the audit hash chain against the current tables (exit 1 naming the first problem)."""
    from hcctrial.errors import IntegrityError
    from hcctrial.store.audit import verify_audit
    from hcctrial.store.session import open_session

    with open_database(database) as engine, open_session(engine) as session:
        report = verify_audit(session)
    result = report.as_dict()
    if report.ok:
        text = (
            f"audit trail intact: {report.entries} entries, {report.records} records match; "
            f"head hash {report.head_hash}"
        )
    else:
        lines = [f"audit trail BROKEN: {len(report.problems)} problem(s)"]
        lines += [f"  {p.message}" for p in report.problems[:50]]
        text = "\n".join(lines)
    _emit(result, as_json, text)
    first = report.first_problem
    if first is not None:
        raise IntegrityError(f"first broken record: {first.message}")
