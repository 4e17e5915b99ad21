"""``hcctrial serve`` and ``hcctrial user add``: run the web application, create its accounts.

``serve`` runs the FastAPI app (:func:`hcctrial.web.create_app`) under uvicorn on the trial
database (``--database URL``; default $HCCTRIAL_DATABASE_URL, else ./hcctrial.sqlite; it must have
been created with ``hcctrial init``). Session cookies are ``Secure``: browsers send them over HTTPS
and to ``localhost``/``127.0.0.1``; put a TLS reverse proxy in front for any other host.

``user add`` creates an account (the first admin, then anyone) with an argon2 password hash; the
password is read from stdin with ``--password-stdin`` (scripts) or asked twice without echo.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)
user_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(user_app, name="user", help="Web accounts: add a user.")

_DATABASE = typer.Option(
    "--database",
    help="SQLAlchemy URL or SQLite file (default: $HCCTRIAL_DATABASE_URL, else ./hcctrial.sqlite).",
)
_JSON = typer.Option("--json", help="Print the result as one JSON object.")


@app.command("serve")
def serve_command(
    database: Annotated[str | None, _DATABASE] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Run the web application (electronic CRFs, patient pages, dashboard, JSON API)."""
    import uvicorn

    from hcctrial.cli.database import open_database
    from hcctrial.web import create_app

    with open_database(database):  # reachable, at the newest schema: else a named error
        pass
    _check_address(host, port)
    web = create_app(database)
    typer.echo(f"hcctrial web application on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


def _check_address(host: str, port: int) -> None:
    """Refuse, by name, an address the server cannot listen on (uvicorn would exit 3 with a log
    line): a host that does not resolve, a port in use or not allowed."""
    import socket

    from hcctrial.errors import DataValidationError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (OSError, UnicodeError) as exc:
        raise DataValidationError(
            f"--host: got {host!r}; expected an address of this machine ({exc})", field="host"
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise DataValidationError(
                f"--host/--port: cannot listen on {host}:{port} ({exc.strerror or exc}); expected a "
                "free port this user may open",
                field="port",
            ) from None


def _read_password(from_stdin: bool) -> str:
    from hcctrial.errors import field_error
    from hcctrial.web.security import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise field_error("password", "(hidden)", problem)
    return password


@user_app.command("add")
def user_add_command(
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    role: Annotated[
        str,
        typer.Option("--role", help="investigator, coordinator, monitor, statistician or admin."),
    ],
    site: Annotated[
        str | None,
        typer.Option(
            "--site",
            help="Site code (required for investigators and "
            "coordinators; a monitor without a site sees all sites).",
        ),
    ] = None,
    site_name: Annotated[
        str | None, typer.Option("--site-name", help="Create the site with this name if absent.")
    ] = None,
    full_name: Annotated[str | None, typer.Option("--full-name", help="Staff name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Create a web user (the password is stored only as an argon2 hash)."""
    from sqlalchemy import select

    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.errors import field_error
    from hcctrial.store import models as m
    from hcctrial.store.services import create
    from hcctrial.store.session import open_session
    from hcctrial.web.security import hash_password

    roles = [r.value for r in m.Role]
    if role not in roles:
        raise field_error("role", role, "one of " + ", ".join(roles))
    if role in ("investigator", "coordinator") and not site:
        raise field_error("site", None, f"a site code: a {role} works at one site")
    password = _read_password(password_stdin)
    actor = "hcctrial user add"
    with open_database(database) as engine, open_session(engine) as session:
        if session.scalars(select(m.User).where(m.User.username == username)).first():
            raise field_error("username", username, "a user name not used yet")
        site_id: int | None = None
        if site:
            found: Any = session.scalars(select(m.Site).where(m.Site.code == site)).first()
            if found is None and site_name:
                found = create(
                    session,
                    m.Site,
                    {"code": site, "name": site_name},
                    actor=actor,
                    reason="site created with its first web user",
                )
            if found is None:
                raise field_error(
                    "site", site, "the code of an existing site (or give --site-name to create it)"
                )
            site_id = found.id
        user = create(
            session,
            m.User,
            {
                "username": username,
                "full_name": full_name,
                "role": role,
                "site_id": site_id,
                "password_hash": hash_password(password),
                "active": True,
            },
            actor=actor,
            reason="web account created",
        )
        result = {"id": user.id, "username": username, "role": role, "site": site}
    emit(result, as_json, f"user {username} ({role}{', site ' + site if site else ''}) created")
