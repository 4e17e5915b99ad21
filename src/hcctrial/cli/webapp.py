"""``hcctrial serve`` and ``hcctrial user add``: run the web application, create its accounts.

``serve`` runs the FastAPI app (:func:`hcctrial.web.create_app`) under uvicorn on the trial
database (``--database URL``; default $HCCTRIAL_DATABASE_URL, else ./hcctrial.sqlite; it must have
been created with ``hcctrial init``). Session cookies are ``Secure``: browsers send them over HTTPS
and to ``localhost``/``127.0.0.1``; put a TLS reverse proxy in front for any other host.

``user add`` creates an account with an argon2 password hash; the password is read from stdin
with ``--password-stdin`` (scripts) or asked twice without echo. It acts as ``--user`` (an admin,
proven by password or API token, :mod:`hcctrial.cli.acting`), except for the first admin of a
database that has none. ``user token issue|revoke`` manage the API tokens of the command line.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hcctrial.cli.acting import TOKEN, USER

app = typer.Typer(no_args_is_help=True, add_completion=False)
user_app = typer.Typer(no_args_is_help=True, add_completion=False)
token_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(user_app, name="user", help="Web accounts: add a user, issue or revoke API tokens.")
user_app.add_typer(token_app, name="token", help="API tokens of the command line: issue, revoke.")
totp_app = typer.Typer(no_args_is_help=True, add_completion=False)
user_app.add_typer(totp_app, name="totp", help="The second factor (TOTP) of an account: add.")

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
    sap: Annotated[
        str | None,
        typer.Option(
            "--sap",
            help="Statistical analysis plan the dashboard and report follow (a plans/*.toml file "
            "or a bundled plan's name; default $HCCTRIAL_SAP, else the seed trial's plan).",
        ),
    ] = None,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development only: without HCCTRIAL_SECRET_KEY, sign sessions with a random key "
            "(sessions end at restart). Without --dev the server refuses to start without a "
            "key of at least 32 bytes.",
        ),
    ] = False,
) -> None:
    """Run the web application (electronic CRFs, patient pages, dashboard, JSON API).

    Security events (sign-ins, lockouts, refused access) are written to stderr as JSON lines
    (logger ``hcctrial.security``)."""
    import uvicorn

    from hcctrial.analysis.plan import load_plan
    from hcctrial.cli.database import open_database
    from hcctrial.settings import load_settings
    from hcctrial.web import create_app

    settings = load_settings(database_url=database, sap=sap)
    load_plan(settings.sap)  # a bad plan is refused by name before the server starts
    with open_database(settings.database_url) as engine:  # reachable, newest schema: else named
        from hcctrial.store.audit import check_audit_key
        from hcctrial.store.session import open_session

        with open_session(engine) as session:
            check_audit_key(session)  # the audit key is this database's: else named, exit 2
    web = create_app(settings, dev=dev)  # refuses a missing or short secret key (exit 2)
    _check_address(host, port)
    from hcctrial.web.patient_memo import warm_up_in_background

    warm_up_in_background(web.state)  # every patient's visit schedule, while the first users sign in
    _log_security_events()
    typer.echo(f"hcctrial web application on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


def _log_security_events() -> None:
    """Write the security events (JSON lines, :mod:`hcctrial.services.security_log`) to stderr."""
    import logging

    from hcctrial.services.security_log import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


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
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add_command(
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="investigator, coordinator, monitor, statistician, admin or data_manager.",
        ),
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
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the new account's password from stdin (the line after --user's password, "
            "if that is read from stdin too).",
        ),
    ] = False,
    user: Annotated[str | None, USER] = None,
    token: Annotated[str | None, TOKEN] = None,
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Create a web user (the password is stored only as an argon2 hash).

    Acts as ``--user`` (an admin, proven by its password or a token). The first admin of a
    database without one is created without ``--user``: the new account acts for itself.
    """
    from sqlalchemy import select

    from hcctrial.cli.acting import cli_actor, proof
    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.errors import field_error
    from hcctrial.services.accounts import add_site, add_user, check_account, check_password
    from hcctrial.services.identity import bootstrap_actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store import models as m
    from hcctrial.store.session import open_session
    from hcctrial.web.security import hash_password, password_hasher

    settings = load_settings(database_url=database)
    check_account(role, site is not None)  # before the password is asked for
    secrets = proof(settings, user, token)
    password = _read_password(password_stdin)
    check_password(password, username)  # before opening the database: no weak password
    hasher = password_hasher(settings)
    with open_database(settings.database_url) as engine, open_session(engine) as session:
        if user is None and secrets[1] is None:
            who = bootstrap_actor(session, username, role)
        else:
            who = cli_actor(session, settings, user, token, secrets=secrets)
        uow = UnitOfWork(session, who, settings=settings)
        site_id: int | None = None
        if site:
            found = session.scalars(select(m.Site.id).where(m.Site.code == site)).first()
            if found is None and site_name:
                found = add_site(
                    uow, code=site, name=site_name, reason="site created with its first web user"
                )
            if found is None:
                raise field_error(
                    "site", site, "the code of an existing site (or give --site-name to create it)"
                )
            site_id = int(found)
        user_id = add_user(
            uow,
            username=username,
            role=role,
            site_id=site_id,
            password=password,
            hash_password=lambda pw: hash_password(hasher, pw),
            full_name=full_name,
            reason="web account created",
        )
        result = {"id": user_id, "username": username, "role": role, "site": site}
    emit(result, as_json, f"user {username} ({role}{', site ' + site if site else ''}) created")


@token_app.command("issue")
def token_issue_command(
    username: Annotated[str, typer.Option("--username", help="The account the token is for.")],
    label: Annotated[
        str | None, typer.Option("--label", help="What the token is for (shown in lists).")
    ] = None,
    user: Annotated[str | None, USER] = None,
    token: Annotated[str | None, TOKEN] = None,
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Issue an API token to an account (admins only); it is printed once, keep it secret."""
    from hcctrial.cli.acting import cli_actor
    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.services.identity import issue_token
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store.session import open_session

    settings = load_settings(database_url=database)
    with open_database(settings.database_url) as engine, open_session(engine) as session:
        uow = UnitOfWork(session, cli_actor(session, settings, user, token), settings=settings)
        token_id, value = issue_token(uow, username, label=label)
    result = {"id": token_id, "username": username, "token": value}
    emit(result, as_json, f"token {token_id} for {username} (shown once):\n{value}")


@token_app.command("revoke")
def token_revoke_command(
    token_id: Annotated[int | None, typer.Option("--id", help="The token's id.")] = None,
    username: Annotated[
        str | None, typer.Option("--username", help="Revoke every token of this account.")
    ] = None,
    user: Annotated[str | None, USER] = None,
    token: Annotated[str | None, TOKEN] = None,
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Revoke a token (--id) or every token of an account (--username); admins only."""
    from hcctrial.cli.acting import cli_actor
    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.services.identity import revoke_tokens
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store.session import open_session

    settings = load_settings(database_url=database)
    with open_database(settings.database_url) as engine, open_session(engine) as session:
        uow = UnitOfWork(session, cli_actor(session, settings, user, token), settings=settings)
        count = revoke_tokens(uow, token_id=token_id, username=username)
    emit({"revoked": count}, as_json, f"{count} token(s) revoked")


@totp_app.command("add")
def totp_add_command(
    username: Annotated[str, typer.Option("--username", help="The account the factor is for.")],
    user: Annotated[str | None, USER] = None,
    token: Annotated[str | None, TOKEN] = None,
    database: Annotated[str | None, _DATABASE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Give an account a TOTP second factor (admins for anyone, others for themselves): prints
    the secret and the otpauth:// URI for an authenticator app, once. Signing in then needs the
    current code besides the password."""
    from hcctrial.cli.acting import cli_actor
    from hcctrial.cli.database import open_database
    from hcctrial.cli.main import emit
    from hcctrial.services.totp import add_totp
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import load_settings
    from hcctrial.store.session import open_session

    settings = load_settings(database_url=database)
    with open_database(settings.database_url) as engine, open_session(engine) as session:
        uow = UnitOfWork(session, cli_actor(session, settings, user, token), settings=settings)
        secret, uri = add_totp(uow, username)
    emit(
        {"username": username, "secret": secret, "uri": uri},
        as_json,
        f"second factor for {username} (shown once; add it to an authenticator app):\n{uri}",
    )
