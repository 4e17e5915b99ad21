"""The sign-in tables: server-side web sessions, failed sign-in counters, API tokens and TOTP
secrets (issue 16, revision ``i16_signin``).

These rows are the *state of the access control*, not trial data: they are not :class:`Record`
tables (no version, not exported, not in the audit chain). What they change that matters to an
inspector -- a token issued or revoked, a second factor added, an account locked out -- is
written as a structured security event (:mod:`hcctrial.services.security_log`); changes of the
accounts themselves (role, password, active) stay audited rows of ``users``.

Nothing secret is stored in the clear where a hash does: a session row and a token row are found
by the SHA-256 of the random value the client holds (256 random bits: a fast hash suffices, no
salt or argon2 needed), so a copy of the database opens no session and no token. The TOTP secret
must be readable to check a code, so it is stored as given (protect the database file).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hcctrial.store.models import Base

__all__ = ["ApiToken", "LoginFailures", "TotpSecret", "WebSession"]


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="RESTRICT")


class WebSession(Base):
    """One signed-in browser session; the cookie holds a random token whose SHA-256 is ``id``.

    A session is valid while ``ended_at`` is empty, it is younger than the absolute lifetime and
    was seen within the idle timeout (:mod:`hcctrial.services.sessions`).
    """

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))


class LoginFailures(Base):
    """Failed sign-ins of one key (``user:<name>`` or ``ip:<address>``) in the current window.

    An attempt is reserved (``pending``) with one atomic ``UPDATE`` *before* its password is
    checked, so concurrent attempts count (:mod:`hcctrial.services.signin`).
    """

    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    #: attempts reserved whose password is being checked (cleared with the window)
    pending: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
    lockouts: Mapped[int] = mapped_column(Integer)


class ApiToken(Base):
    """A command-line token an admin issued to an account; found by the SHA-256 of the token."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column()
    issued_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class TotpSecret(Base):
    """An account's TOTP second factor (RFC 6238 base32 secret); ``confirmed`` once a code was
    accepted."""

    __tablename__ = "totp_secrets"
    user_id: Mapped[int] = mapped_column(_user_fk(), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column()
    confirmed: Mapped[bool] = mapped_column(Boolean)
    #: The 30-second time step of the last code accepted: a code is good once (RFC 6238 5.2).
    last_step: Mapped[int | None] = mapped_column(Integer)
