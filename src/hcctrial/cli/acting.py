"""Who a command-line write acts as: ``--user NAME`` proven by a password or an API token.

Every command that writes (``import``, ``user add``, ``user token``, and the commands later
issues add) takes :data:`USER`, :data:`TOKEN` and :data:`ACTOR` and calls :func:`cli_actor`. The
proof is, in this order: ``--token``, else ``$HCCTRIAL_TOKEN`` (the settings), else the
account's password -- the first line of stdin, or asked without echo at a terminal. The check
itself is :func:`hcctrial.services.identity.authenticated_actor` (one keeper).

``--actor`` is kept for old scripts only as another spelling of ``--user`` (the same account,
the same proof): a free-text name with no account behind it is refused (ACCOUNT-AUTH).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.permissions import Actor
    from hcctrial.settings import Settings

__all__ = ["ACTOR", "TOKEN", "USER", "cli_actor", "read_secret_line"]

USER = typer.Option(
    "--user",
    help="The account this write acts as (its role and site apply); proven by its password "
    "(first line of stdin, or asked) or by --token / $HCCTRIAL_TOKEN.",
)
TOKEN = typer.Option(
    "--token",
    help="An API token issued to --user (`hcctrial user token issue`); prefer $HCCTRIAL_TOKEN "
    "(a command line is visible to other users of the machine).",
)
ACTOR = typer.Option(
    "--actor",
    hidden=True,
    help="Old spelling of --user: must name an active account, proven the same way.",
)


def read_secret_line(prompt: str) -> str:
    """One line of stdin (scripts), or a hidden prompt at a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True))
    try:
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):  # stdin closed or not readable: no password given
        line = ""
    return line.rstrip("\r\n")


def proof(settings: Settings, user: str | None, token: str | None) -> tuple[str | None, str | None]:
    """(password, token) proving ``user``: the token given or in the settings, else the
    password read from stdin (nothing read when no user is named)."""
    if token is None and settings.token is not None:
        token = settings.token.get_secret_value()
    if token or not user:
        return None, token or None
    return read_secret_line(f"Password of {user}"), None


def cli_actor(
    session: Any,
    settings: Settings,
    user: str | None,
    token: str | None,
    actor: str | None = None,
    *,
    secrets: tuple[str | None, str | None] | None = None,
) -> Actor:
    """The authenticated :class:`Actor` of a command (``--actor`` only as ``--user``'s old
    spelling); ``secrets`` is a (password, token) pair already read by :func:`proof`."""
    from hcctrial.errors import field_error
    from hcctrial.services.identity import authenticated_actor

    if actor is not None and user is not None and actor != user:
        raise field_error("--actor", actor, f"the same account as --user ({user!r}), or nothing")
    name = user if user is not None else actor
    password, given = secrets if secrets is not None else proof(settings, name, token)
    return authenticated_actor(session, name, password, given)
