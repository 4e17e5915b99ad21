"""Who is acting: the one keeper of "every write has an account behind it" for the doors that are
not the web (the command line, scripts), and the API tokens an admin issues for them.

- :func:`authenticated_actor` turns ``--user NAME`` plus a proof -- the account's password (read
  from stdin by the CLI) or an API token -- into the :class:`~.permissions.Actor` a unit of work
  runs as. An unknown name, a disabled account, a wrong password or a revoked token are refused
  alike (rule ACCOUNT-AUTH, exit code 2), so the answer does not tell which; an unknown account
  is checked against a dummy argon2 hash so that it costs the same time as a known one.
- :func:`issue_token` / :func:`revoke_tokens`: an admin gives an account a token for scripts
  (``hcctrial user token issue|revoke``). A token is ``hct_`` + 256 random bits (URL-safe base64);
  only its SHA-256 is stored (:class:`~hcctrial.store.models_security.ApiToken`), so the database
  does not open any door. Issuing and revoking are security events (:mod:`.security_log`).
- :func:`bootstrap_actor`: the first admin of an empty database creates itself (nobody else can
  vouch for it); once an active admin exists, every account change needs an authenticated admin.
- A program that writes (the demo generator) does so as a *system account*: a users row with
  role admin, no password (it cannot sign in) and a full name starting
  :data:`SYSTEM_ACCOUNT_PREFIX` (``hcctrial.demo.generate``).

The web signs users in itself (:mod:`hcctrial.web.routes_auth`) with the same password check
(:func:`password_matches`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from hcctrial.services.permissions import Actor, Capability, can
from hcctrial.services.rules import finding, refusal
from hcctrial.services.security_log import security_event
from hcctrial.store import models as m
from hcctrial.store.models_security import ApiToken

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = [
    "SYSTEM_ACCOUNT_PREFIX",
    "TOKEN_PREFIX",
    "authenticated_actor",
    "bootstrap_actor",
    "dummy_hash",
    "issue_token",
    "password_matches",
    "revoke_tokens",
    "token_digest",
]

TOKEN_PREFIX = "hct_"
#: The full name of every system account starts with this (the audit trail's reader sees it).
SYSTEM_ACCOUNT_PREFIX = "system account: "
_EXPECTED = "an active account's name with its password (stdin) or an API token issued to it"


def _session_of(source: Session | UnitOfWork) -> Session:
    from hcctrial.services.unit_of_work import UnitOfWork

    return source.session if isinstance(source, UnitOfWork) else source


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@functools.cache
def _default_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_for(hasher: Any) -> str:
    return str(hasher.hash(secrets.token_urlsafe(16)))


def dummy_hash(hasher: Any = None) -> str:
    """An argon2id hash of a random password at ``hasher``'s cost (made once per hasher): what
    an unknown account's password is checked against, so that it takes as long as a known one."""
    return _dummy_for(hasher or _default_hasher())


def password_matches(password_hash: str | None, password: str, hasher: Any = None) -> bool:
    """Whether ``password`` matches ``password_hash``; a missing or malformed hash is checked
    against :func:`dummy_hash` (same cost) and is False."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = hasher or _default_hasher()
    usable = bool(password_hash) and str(password_hash).startswith("$argon2")
    try:
        ok = bool(hasher.verify(password_hash if usable else dummy_hash(hasher), password))
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and usable


def _refused(field: str, problem: str, **log: object) -> Exception:
    security_event("cli.auth.failure", field=field, problem=problem, **log)
    return refusal(
        [
            finding(
                "ACCOUNT-AUTH",
                "users",
                None,
                field,
                field=field,
                problem=problem,
                expected=_EXPECTED,
            )
        ]
    )


def authenticated_actor(
    source: Session | UnitOfWork,
    user: str | None,
    password: str | None,
    token: str | None,
    *,
    hasher: Any = None,
) -> Actor:
    """Return the :class:`Actor` of account ``user`` proven by ``token`` (preferred when given)
    or ``password``; refuse (ACCOUNT-AUTH) a missing name, an unknown or disabled account, a
    wrong password, an unknown, revoked or other account's token -- with one message for all."""
    if not user:
        raise _refused("--user", "no account named (free-text names are not accepted)")
    session = _session_of(source)
    account = session.scalars(select(m.User).where(m.User.username == user)).first()
    if token:
        row = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == token_digest(token))
        ).first()
        ok = (
            account is not None
            and row is not None
            and row.revoked_at is None
            and hmac.compare_digest(str(row.user_id), str(account.id))
        )
    elif password is not None:
        ok = password_matches(None if account is None else account.password_hash, password, hasher)
    else:
        raise _refused("--user", f"{user!r} without a password or a token", user=user)
    if not ok or account is None or not account.active:
        how = "token" if token else "password"
        raise _refused(
            "--user",
            f"{user!r} with this {how}: unknown or disabled account, or wrong {how}",
            user=user,
            proof=how,
        )
    return Actor(account.id, account.username, account.role, account.site_id)


def bootstrap_actor(source: Session | UnitOfWork, new_username: str, role: str) -> Actor:
    """The actor creating the first admin of a database that has no active admin yet: the new
    account itself. Refused (ACCOUNT-AUTH) once an active admin exists, or for another role."""
    session = _session_of(source)
    admins = session.scalars(
        select(m.User.id).where(m.User.role == m.Role.ADMIN, m.User.active.is_(True)).limit(1)
    ).first()
    if admins is not None:
        raise _refused("--user", "no account named, and this database has an admin already")
    if role != m.Role.ADMIN.value:
        raise _refused(
            "--role", f"{role!r} as the first account (no admin exists yet: create one first)"
        )
    return Actor(None, new_username, m.Role.ADMIN, None)


def _require_admin(uow: UnitOfWork) -> None:
    if not can(uow.actor, Capability.MANAGE_USERS):
        raise refusal(
            [
                finding(
                    "AUTH-ROLE",
                    "api_tokens",
                    None,
                    None,
                    role=uow.actor.role.value,
                    capability=Capability.MANAGE_USERS.value,
                )
            ]
        )


def _account(session: Session, username: str) -> m.User:
    row = session.scalars(select(m.User).where(m.User.username == username)).first()
    if row is None or not row.active:
        raise refusal(
            [
                finding(
                    "ACCOUNT-AUTH",
                    "users",
                    None,
                    "--username",
                    field="--username",
                    problem=f"{username!r}: no active account of that name",
                    expected="the name of an active account",
                )
            ]
        )
    return row


def issue_token(uow: UnitOfWork, username: str, *, label: str | None = None) -> tuple[int, str]:
    """Issue a new API token to active account ``username`` (admins only, AUTH-ROLE); return its
    id and the token (shown once: only its SHA-256 is kept)."""
    _require_admin(uow)
    account = _account(uow.session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = uow.session.execute(
        insert(ApiToken)
        .values(
            user_id=account.id,
            token_hash=token_digest(token),
            label=label,
            issued_at=datetime.now(UTC),
            issued_by=uow.actor.username,
        )
        .returning(ApiToken.id)
    ).scalar_one()
    security_event("token.issued", id=token_id, user=username, by=uow.actor.username, label=label)
    return int(token_id), token


def revoke_tokens(
    uow: UnitOfWork, *, token_id: int | None = None, username: str | None = None
) -> int:
    """Revoke token ``token_id``, or every token of account ``username`` (admins only); return
    how many were revoked (a revoked token is refused at once)."""
    _require_admin(uow)
    stmt = update(ApiToken).where(ApiToken.revoked_at.is_(None))
    if token_id is not None:
        stmt = stmt.where(ApiToken.id == token_id)
    if username is not None:
        account = uow.session.scalars(select(m.User).where(m.User.username == username)).first()
        stmt = stmt.where(ApiToken.user_id == (account.id if account is not None else -1))
    if token_id is None and username is None:
        raise refusal(
            [
                finding(
                    "ACCOUNT-AUTH",
                    "api_tokens",
                    None,
                    "--id",
                    field="--id",
                    problem="no token named",
                    expected="--id N or --username NAME",
                )
            ]
        )
    now = datetime.now(UTC)
    result = uow.session.execute(stmt.values(revoked_at=now, revoked_by=uow.actor.username))
    count = int(getattr(result, "rowcount", 0) or 0)
    security_event("token.revoked", id=token_id, user=username, by=uow.actor.username, count=count)
    return count
