"""Electronic signatures (21 CFR 11.50, 11.70, 11.200), and the re-authentication they need.

:func:`authenticate` is the one place a door re-checks a user's password before an action that
must be attributable beyond doubt: a signature, and locking or unlocking the database from the
command line. (When :mod:`hcctrial.services.identity` lands -- command-line identity with a
password or an API token -- this function should call it; every caller stays as it is.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hcctrial.services.permissions import Actor
from hcctrial.services.rules import finding, refusal
from hcctrial.store import models as m

__all__ = ["PasswordCheck", "authenticate"]

#: ``(stored hash or None, password) -> whether they match`` (the web's argon2 verifier).
PasswordCheck = Callable[[str | None, str], bool]


def authenticate(
    session: Any, username: str, password: str, verify: PasswordCheck, *, done: str
) -> Actor:
    """The active account ``username`` as an :class:`Actor`, if ``password`` is its password;
    otherwise refused (PASSWORD-REENTERED, saying nothing was ``done``). An unknown name and a
    wrong password get the same answer."""
    from sqlalchemy import select

    user = session.scalars(select(m.User).where(m.User.username == username)).first()
    stored = None if user is None else user.password_hash
    matches = verify(stored, password)  # called for an unknown name too
    if user is None or not user.active or not matches:
        raise refusal(
            [finding("PASSWORD-REENTERED", "users", None, "password", user=username, done=done)]
        )
    return Actor(user.id, user.username, user.role, user.site_id)
