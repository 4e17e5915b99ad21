"""``hcctrial lock`` and ``hcctrial unlock``: freeze the trial database for analysis, and open it.

``hcctrial lock --database URL --user NAME --reason "..."`` locks the database: afterwards every
write is refused (web forms, JSON API, ``import``, the command line) until ``hcctrial unlock
--database URL --user NAME --reason "..."`` opens it again. ``--user`` names an active account
(a data manager or an admin locks; only an admin unlocks) whose password is read from stdin (one
line; asked without echo on a terminal). Both are audited (who, when, why). Exit codes: 0 done,
2 refused (wrong password, role, already locked / not locked, no reason), nothing written.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)

_DATABASE = typer.Option(
    "--database",
    help="SQLAlchemy URL or SQLite file (default: $HCCTRIAL_DATABASE_URL, else ./hcctrial.sqlite).",
)
_USER = typer.Option(
    "--user", help="The account that acts (its password is read from stdin, one line)."
)
_REASON = typer.Option("--reason", help="Why (recorded in the audit trail).")
_JSON = typer.Option("--json", help="Print the result as one JSON object.")


def dataset_of(engine: Any) -> dict[str, Any]:
    """The lock state and content hash of the trial database ``engine`` (one read transaction):
    the ``dataset`` that ``analyze`` and ``report`` print."""
    from hcctrial.services.locks import dataset_state
    from hcctrial.store.session import open_session

    with open_session(engine) as session:
        return dataset_state(session)


def dataset_line(state: dict[str, Any]) -> str:
    """One line naming the dataset: locked (when, by whom, why) or not, its hash and size."""
    if state["locked"]:
        lock = f"LOCKED since {state['locked_at']} by {state['locked_by']} ({state['reason']})"
    else:
        lock = "NOT locked (the records may still change)"
    return f"dataset: {lock}; sha256 {state['sha256']} over {state['records']} records"


def _run(database: str | None, user: str, reason: str, as_json: bool, *, lock: bool) -> None:
    from hcctrial.cli.acting import read_secret_line
    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.services.locks import database_lock_state, lock_database, unlock_database
    from hcctrial.services.signatures import authenticate
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store.session import open_session
    from hcctrial.web.security import password_hasher, verify_password

    settings = load_settings(database_url=database)
    password = read_secret_line("Password")
    hasher = password_hasher(settings)
    done = "locked" if lock else "unlocked"

    def verify(stored: str | None, given: str) -> bool:
        return verify_password(hasher, stored, given)

    with open_database(settings.database_url) as engine:
        with open_session(engine) as session:
            actor = authenticate(session, user, password, verify, done=done)
            uow = UnitOfWork(session, actor, settings=settings)
            if lock:
                lock_database(uow, reason=reason)
            else:
                unlock_database(uow, reason=reason)
            state: dict[str, Any] = database_lock_state(session)
        shown = engine.url.render_as_string(hide_password=True)
    result = {"database": shown, **state}
    if lock:
        text = f"database {shown} locked by {user} at {state['locked_at']}: {reason}"
    else:
        text = f"database {shown} unlocked by {user}: {reason}"
    emit(result, as_json, text)


@app.command("lock")
def lock_command(
    user: Annotated[str, _USER],
    reason: Annotated[str, _REASON],
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Lock the trial database for analysis: every write is refused until it is unlocked."""
    _run(database, user, reason, as_json, lock=True)


@app.command("unlock")
def unlock_command(
    user: Annotated[str, _USER],
    reason: Annotated[str, _REASON],
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Unlock the trial database (an admin, with a reason)."""
    _run(database, user, reason, as_json, lock=False)
