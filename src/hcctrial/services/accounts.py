"""Sites and user accounts: open a site, create an account, disable or enable it, reset its
password -- for the admin pages and ``hcctrial user add`` alike.

Only the admin role manages accounts (AUTH-ROLE); a user name is letters, digits, ``.``, ``_`` or
``-`` (ACCOUNT-NAME) and not taken (RECORD-UNIQUE); investigators and coordinators need a site
(ACCOUNT-SITE); a password has at least 12 characters, is not the user name and not a common
password (ACCOUNT-PASSWORD) and is stored only as the
hash ``hash_password`` makes (argon2id, :mod:`hcctrial.web.security`); an admin does not disable
their own account (ACCOUNT-SELF). Every change is audited like any record (the audit entry of a
reset holds the old and new *hashes*, never a password).
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hcctrial.services.rules import Action, finding, refusal
from hcctrial.services.unit_of_work import Amend, UnitOfWork
from hcctrial.store import models as m

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "add_site",
    "add_user",
    "check_account",
    "check_password",
    "common_passwords",
    "password_problem",
    "set_user_active",
    "set_user_password",
]

MIN_PASSWORD_LENGTH = 12
#: The 20,000 most common passwords, lowercased (provenance: services/data/README.md).
_COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the bundled list of common passwords (lowercased), read once per process."""
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def password_problem(password: str, username: str | None = None) -> str | None:
    """What is wrong with ``password`` under the policy (ACCOUNT-PASSWORD), in words; None if
    nothing: at least :data:`MIN_PASSWORD_LENGTH` characters (NIST SP 800-63B allows 8; 12
    is the issue's choice), not the user name (any case, surrounding blanks ignored), not in
    the bundled list of common passwords (compared lowercased, as the list is)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password of {len(password)} characters"
    folded = password.strip().lower()
    if username and folded == username.strip().lower():
        return "the user name"
    if folded in common_passwords():
        return "a commonly used password"
    return None


def check_password(password: str, username: str | None = None) -> None:
    """Refuse (ACCOUNT-PASSWORD) a password the policy does not accept (:func:`password_problem`)."""
    problem = password_problem(password, username)
    if problem is not None:
        raise refusal(
            [
                finding(
                    "ACCOUNT-PASSWORD",
                    "users",
                    None,
                    "password",
                    problem=problem,
                    minimum=MIN_PASSWORD_LENGTH,
                )
            ]
        )


def check_account(role: str, site_given: bool) -> None:
    """Refuse, before any password is asked for or anything written, an account the gates would
    refuse for its role: a role that is not one of :class:`~hcctrial.store.models.Role`
    (FIELD-VALUE) and a site-bound role without a site (ACCOUNT-SITE) -- the same checks the
    value and account gates make (:mod:`hcctrial.services.gates`)."""
    from hcctrial.services import persistence as db
    from hcctrial.services.gates import SITE_BOUND_ROLES, problem_findings

    values, problems = db.prepare_row(m.User, {"role": role}, partial=True)
    if problems:
        raise refusal(problem_findings("users", None, problems))
    if values["role"] in SITE_BOUND_ROLES and not site_given:
        raise refusal(
            [finding("ACCOUNT-SITE", "users", None, "site_id", role=values["role"].value)]
        )


def add_site(
    uow: UnitOfWork, *, code: str, name: str, country: str | None = None, reason: str
) -> int:
    """Open a site; return its id."""
    values = {"code": code, "name": name, "country": country}
    return uow.add(Action.ACCOUNTS, m.Site, values, reason=reason)


def add_user(
    uow: UnitOfWork,
    *,
    username: str,
    role: str | m.Role,
    site_id: int | None,
    password: str | None,
    hash_password: Callable[[str], str],
    full_name: str | None = None,
    reason: str,
) -> int:
    """Create an active account (``password`` None: none set, it cannot sign in); return its id."""
    if password is not None:
        check_password(password, username)
    values: dict[str, Any] = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "site_id": site_id,
        "password_hash": None if password is None else hash_password(password),
        "active": True,
    }
    return uow.add(Action.ACCOUNTS, m.User, values, reason=reason)


def set_user_active(
    uow: UnitOfWork, user_id: int, active: bool, *, expected_version: int, reason: str
) -> None:
    """Disable (``active`` False: its web sessions end at once) or enable an account."""
    from hcctrial.services.security_log import security_event
    from hcctrial.services.sessions import end_user_sessions

    change = Amend(m.User, user_id, {"active": active}, expected_version)
    uow.run(Action.ACCOUNTS, [change], reason=reason)
    if not active:
        end_user_sessions(uow.session, user_id, "account disabled")
    security_event("account.active", user_id=user_id, active=active, by=uow.actor.username)


def set_user_password(
    uow: UnitOfWork,
    user_id: int,
    password: str,
    *,
    hash_password: Callable[[str], str],
    expected_version: int,
    reason: str,
) -> None:
    """Set a new password (stored as its hash; the user's open web sessions end at once)."""
    from hcctrial.services.security_log import security_event
    from hcctrial.services.sessions import end_user_sessions

    account = uow.session.get(m.User, user_id)
    check_password(password, None if account is None else account.username)
    change = Amend(m.User, user_id, {"password_hash": hash_password(password)}, expected_version)
    uow.run(Action.ACCOUNTS, [change], reason=reason)
    end_user_sessions(uow.session, user_id, "password changed")
    security_event("account.password", user_id=user_id, by=uow.actor.username)
