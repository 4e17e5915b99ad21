"""Passwords, session cookies, CSRF tokens and the failed-login limiter of the web application.

- **Passwords** are hashed with argon2id (``argon2-cffi``'s :class:`~argon2.PasswordHasher`) at the
  cost the settings give (:mod:`hcctrial.settings`; by default argon2-cffi's RFC 9106 "low
  memory" parameters); only the hash is stored (``users.password_hash``). The hasher is made once
  per application (:func:`password_hasher`) and passed to who needs it -- no module global.
- **Sessions** are Starlette's ``SessionMiddleware`` cookie: the session dict signed with
  ``itsdangerous`` (HMAC-SHA1 over the secret key), ``HttpOnly``, ``Secure``, ``SameSite=Strict``,
  valid the settings' ``session_lifetime_s`` seconds (8 hours by default). It holds the user id and the CSRF token, nothing else;
  the user is re-read from the database on every request, so a disabled account is out at once.
- **CSRF**: a synchroniser token (32 random bytes, URL-safe) is kept in the session; every
  state-changing request (POST, PUT, PATCH, DELETE) must echo it, in the form field
  ``csrf_token`` or the header ``X-CSRF-Token``, compared in constant time. ``SameSite=Strict``
  is a second layer, not the protection.
- **Failed logins** are limited per user name and per client address: after
  :data:`MAX_FAILURES` failures within :data:`FAILURE_WINDOW_S` seconds further attempts are refused
  (HTTP 429) until the window has passed. The counter lives in the process (one server process
  per trial database is the deployment this serves; see docs/web.md).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.settings import Settings

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "FAILURE_WINDOW_S",
    "MAX_FAILURES",
    "LoginRateLimiter",
    "csrf_token",
    "csrf_valid",
    "hash_password",
    "password_hasher",
    "verify_password",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "hcctrial_session"
MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60.0
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
    """Whether ``password`` matches ``password_hash`` (False for a missing or malformed hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if not password_hash:
        return False
    try:
        return bool(hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


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


class LoginRateLimiter:
    """Counts failed logins per key (user name, client address) in a sliding window.

    ``clock`` returns seconds (monotonic by default; tests pass a fake one).
    """

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_s: float = FAILURE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] >= self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login may be tried again for any of ``keys`` (0: allowed now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - q[0]))
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Record one failed attempt under each of ``keys``."""
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` after a successful login."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
