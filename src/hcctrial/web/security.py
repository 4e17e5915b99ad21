"""Passwords, session cookies and CSRF tokens of the web application.

- **Passwords** are hashed with argon2id (``argon2-cffi``'s :class:`~argon2.PasswordHasher`) at the
  cost the settings give (:mod:`hcctrial.settings`; by default argon2-cffi's RFC 9106 "low
  memory" parameters); only the hash is stored (``users.password_hash``). The hasher is made once
  per application (:func:`password_hasher`) and passed to who needs it -- no module global.
- **Sessions** are server-side (:mod:`hcctrial.services.sessions`): Starlette's
  ``SessionMiddleware`` cookie (signed with ``itsdangerous`` over the secret key of at least 32
  bytes, ``HttpOnly``, ``Secure``, ``SameSite=Strict``) carries a random session token, the user
  id and the CSRF token; the token's row in ``web_sessions`` decides: ended by sign-out, a new
  password or a disabled account, after 30 minutes unused (``idle_timeout_s``) or 8 hours
  (``session_lifetime_s``). The user is re-read from the database on every request.
- **CSRF**: a synchroniser token (32 random bytes, URL-safe) is kept in the session; every
  state-changing request (POST, PUT, PATCH, DELETE) must echo it, in the form field
  ``csrf_token`` or the header ``X-CSRF-Token``, compared in constant time. ``SameSite=Strict``
  is a second layer, not the protection.
- **Failed sign-ins** are counted in the database per account and per client address, before
  the password is checked, with lockout and back-off (:mod:`hcctrial.services.signin`).
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.settings import Settings

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "csrf_token",
    "csrf_valid",
    "hash_password",
    "password_hasher",
    "verify_password",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "hcctrial_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def password_hasher(settings: Settings) -> Any:
    """Return the argon2id :class:`~argon2.PasswordHasher` at the cost ``settings`` give."""
    from argon2 import PasswordHasher

    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def hash_password(hasher: Any, password: str) -> str:
    """Return the argon2id hash of ``password`` (a ``$argon2id$...`` string with its salt)."""
    return str(hasher.hash(password))


def verify_password(hasher: Any, password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a missing or malformed hash,
    checked at the same cost): the one check of :func:`hcctrial.services.identity.password_matches`."""
    from hcctrial.services.identity import password_matches

    return password_matches(password_hash, password, hasher)


def csrf_token(session: dict[str, Any]) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_valid(session: dict[str, Any], given: str | None) -> bool:
    """Whether ``given`` equals the session's CSRF token (constant-time comparison)."""
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
