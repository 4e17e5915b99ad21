"""Server-side web sessions: started at sign-in, ended by sign-out, password change or disabling.

The browser's cookie holds only a random token (256 bits); the database keeps its SHA-256
(:class:`~hcctrial.store.models_security.WebSession`). A session is valid while

- it has not been ended (``ended_at`` empty): sign-out, a new password, the account disabled,
  an admin's "end sessions" end it at once -- a copied or replayed cookie is refused afterwards;
- it is younger than the absolute lifetime (``session_lifetime_s``, 8 h by default);
- it was used within the idle timeout (``idle_timeout_s``, 30 min by default).

``last_seen_at`` is written at most once per :data:`TOUCH_EVERY_S` seconds of use (the idle
timeout is thus enforced to within that), so reading pages does not turn into a write per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from hcctrial.services.security_log import security_event
from hcctrial.store.models_security import WebSession

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "TOUCH_EVERY_S",
    "SessionCheck",
    "apply_check",
    "check_session",
    "end_session",
    "end_user_sessions",
    "start_session",
]

#: Seconds between two writes of a session's ``last_seen_at``.
TOUCH_EVERY_S = 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def start_session(
    session: Session, user_id: int, client: str | None, now: datetime | None = None
) -> str:
    """Start a session of ``user_id``; return the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    now = now or _now()
    session.execute(
        insert(WebSession).values(
            id=_digest(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            client=(client or "")[:64] or None,
        )
    )
    return token


@dataclass(frozen=True)
class SessionCheck:
    """What :func:`check_session` found: the user id of a valid session (else None) and what
    must be written: ``"touch"`` (``last_seen_at``), ``"idle"`` or ``"expired"`` (end it)."""

    user_id: int | None
    write: str | None = None


def check_session(
    session: Session, token: str, *, lifetime_s: int, idle_s: int, now: datetime | None = None
) -> SessionCheck:
    """Check session ``token`` (a read only: the web writes the verdict in its own short write
    transaction with :func:`apply_check`, so a page read never turns into a write)."""
    now = now or _now()
    row = session.execute(
        select(WebSession.user_id, WebSession.created_at, WebSession.last_seen_at).where(
            WebSession.id == _digest(token), WebSession.ended_at.is_(None)
        )
    ).first()
    if row is None:
        return SessionCheck(None)
    if now - row.created_at > timedelta(seconds=lifetime_s):
        return SessionCheck(None, "expired")
    if now - row.last_seen_at > timedelta(seconds=idle_s):
        return SessionCheck(None, "idle")
    touch = now - row.last_seen_at > timedelta(seconds=TOUCH_EVERY_S)
    return SessionCheck(int(row.user_id), "touch" if touch else None)


def apply_check(
    session: Session, token: str, check: SessionCheck, now: datetime | None = None
) -> None:
    """Write what :func:`check_session` found: the time of use, or the end of the session."""
    now = now or _now()
    digest = _digest(token)
    if check.write == "touch":
        session.execute(
            update(WebSession)
            .where(WebSession.id == digest, WebSession.ended_at.is_(None))
            .values(last_seen_at=now)
        )
    elif check.write in ("idle", "expired"):
        user_id = session.scalars(select(WebSession.user_id).where(WebSession.id == digest)).first()
        _end(session, digest, int(user_id or 0), now, check.write)


def _end(session: Session, digest: str, user_id: int, now: datetime, reason: str) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id == digest, WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    security_event("session.ended", user_id=user_id, reason=reason)


def end_session(session: Session, token: str, reason: str = "signed out") -> None:
    """End session ``token`` (nothing if it is unknown or ended already)."""
    digest = _digest(token)
    user_id = session.scalars(
        select(WebSession.user_id).where(WebSession.id == digest, WebSession.ended_at.is_(None))
    ).first()
    if user_id is not None:
        _end(session, digest, int(user_id), _now(), reason)


def end_user_sessions(session: Session, user_id: int, reason: str) -> int:
    """End every open session of ``user_id`` (password changed, account disabled); return how
    many."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=_now(), end_reason=reason[:64])
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        security_event("session.ended", user_id=user_id, reason=reason, count=count)
    return count
