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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from hcctrial.services.security_log import security_event
from hcctrial.store.models_security import WebSession

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "TOUCH_EVERY_S",
    "end_session",
    "end_user_sessions",
    "session_user_id",
    "start_session",
]

#: Seconds between two writes of a session's ``last_seen_at``.
TOUCH_EVERY_S = 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def start_session(session: Session, user_id: int, client: str | None) -> str:
    """Start a session of ``user_id``; return the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    now = _now()
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


def session_user_id(
    session: Session, token: str, *, lifetime_s: int, idle_s: int, now: datetime | None = None
) -> int | None:
    """The user id of the valid session ``token``, else None (an expired one is ended, with the
    reason ``idle`` or ``expired``)."""
    now = now or _now()
    digest = _digest(token)
    row = session.execute(
        select(
            WebSession.user_id,
            WebSession.created_at,
            WebSession.last_seen_at,
            WebSession.ended_at,
        ).where(WebSession.id == digest)
    ).first()
    if row is None or row.ended_at is not None:
        return None
    if now - row.created_at > timedelta(seconds=lifetime_s):
        _end(session, digest, int(row.user_id), now, "expired")
        return None
    if now - row.last_seen_at > timedelta(seconds=idle_s):
        _end(session, digest, int(row.user_id), now, "idle")
        return None
    if now - row.last_seen_at > timedelta(seconds=TOUCH_EVERY_S):
        session.execute(update(WebSession).where(WebSession.id == digest).values(last_seen_at=now))
    return int(row.user_id)


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
