"""Failed sign-ins, counted in the database per account and per client address, and lockout
with back-off (OWASP ASVS 4.0 V2.2.1).

Each sign-in attempt is counted *before* its password is checked (:func:`reserve_attempt`), in
one atomic ``UPDATE ... SET failures = failures + 1 ... RETURNING`` per key, committed at once.
Concurrent attempts therefore count: of 20 wrong passwords sent at the same moment only the
first ``max`` are checked, the others are refused (the database serialises the updates of a
row; the check no longer reads a limit that earlier attempts have not yet raised). A success
gives the attempt back (:func:`attempt_succeeded`): the account's counter starts again, the
address's loses the one attempt.

Keys and their limits (settings, :mod:`hcctrial.settings`):

- ``user:<name>`` (lowercased; counted whether or not the account exists, so a locked answer
  tells nothing about existence): ``login_max_failures_account`` (5);
- ``ip:<address>`` (the client address, :func:`client_address`): ``login_max_failures_address``
  (50) -- high, so that colleagues behind one proxy do not lock each other out, yet a guesser
  trying many accounts from one address is stopped.

A key that exceeds its limit within ``login_window_s`` is locked for ``lockout_s`` seconds,
doubled at every further lockout of the key (back-off) up to ``lockout_max_s``; while locked,
attempts are refused without checking the password. Only the guessed account and the guessing
address are locked: another user, from the same address, still signs in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, select, update

from hcctrial.services.security_log import security_event
from hcctrial.store.models_security import LoginFailures

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.settings import Settings

__all__ = [
    "Limits",
    "attempt_keys",
    "attempt_succeeded",
    "client_address",
    "reserve_attempt",
]


@dataclass(frozen=True)
class Limits:
    """The counting rules: attempts per account and per address, window and lockouts (s)."""

    account: int = 5
    address: int = 50
    window_s: int = 15 * 60
    lockout_s: int = 60
    lockout_max_s: int = 3600

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits the settings choose."""
        return cls(
            settings.login_max_failures_account,
            settings.login_max_failures_address,
            settings.login_window_s,
            settings.lockout_s,
            settings.lockout_max_s,
        )

    def of_key(self, key: str) -> int:
        """The attempts allowed in a window for ``key``."""
        return self.address if key.startswith("ip:") else self.account


def attempt_keys(username: str, address: str) -> tuple[str, str]:
    """The counters an attempt of ``username`` from ``address`` counts under."""
    return f"user:{username.strip().lower()[:150]}", f"ip:{address[:64]}"


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Any]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy -- then the rightmost
    address of ``X-Forwarded-For`` that is not itself a trusted proxy (what a client puts
    further left can be forged; what trusted proxies appended cannot)."""

    def is_trusted(text: str) -> bool:
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            return False
        return any(address in network for network in trusted)

    address = peer or "?"
    if not trusted or not is_trusted(address) or not forwarded_for:
        return address
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else address


def _ensure_rows(session: Session, keys: Sequence[str], now: datetime) -> None:
    """Insert a zero counter for each key that has none (ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    rows = [
        {"key": k, "failures": 0, "window_start": now, "locked_until": None, "lockouts": 0}
        for k in keys
    ]
    session.execute(insert(LoginFailures).values(rows).on_conflict_do_nothing())


def reserve_attempt(
    session: Session, keys: Sequence[str], limits: Limits, now: datetime, client: str = "?"
) -> int:
    """Count one attempt under each of ``keys``; return 0 if the password may be checked, else
    the seconds until the first of them unlocks (the attempt is refused, nothing checked).

    Call in its own short transaction, committed before the password is checked."""
    _ensure_rows(session, keys, now)
    cutoff = now - timedelta(seconds=limits.window_s)
    wait = 0.0
    for key in keys:
        fresh = LoginFailures.window_start <= cutoff
        got = session.execute(
            update(LoginFailures)
            .where(
                LoginFailures.key == key,
                (LoginFailures.locked_until.is_(None)) | (LoginFailures.locked_until <= now),
            )
            .values(
                failures=case((fresh, 1), else_=LoginFailures.failures + 1),
                window_start=case((fresh, now), else_=LoginFailures.window_start),
            )
            .returning(LoginFailures.failures, LoginFailures.lockouts)
        ).first()
        if got is None:  # locked: not counted again, refused
            until = session.scalars(
                select(LoginFailures.locked_until).where(LoginFailures.key == key)
            ).one()
            wait = max(wait, (until - now).total_seconds() if until is not None else 1.0)
            security_event("login.refused", key=key, client=client)
            continue
        failures, lockouts = int(got[0]), int(got[1])
        if failures > limits.of_key(key):
            seconds = min(limits.lockout_s * 2**lockouts, limits.lockout_max_s)
            session.execute(
                update(LoginFailures)
                .where(LoginFailures.key == key)
                .values(
                    locked_until=now + timedelta(seconds=seconds),
                    lockouts=LoginFailures.lockouts + 1,
                    failures=0,
                    window_start=now,
                )
            )
            security_event("login.locked", key=key, seconds=seconds, client=client)
            wait = max(wait, float(seconds))
    return int(wait) + (1 if wait % 1 else 0) if wait else 0


def attempt_succeeded(session: Session, keys: Sequence[str]) -> None:
    """A right password: the account's counter is cleared, each address gives its one reserved
    attempt back."""
    for key in keys:
        if key.startswith("ip:"):
            session.execute(
                update(LoginFailures)
                .where(LoginFailures.key == key, LoginFailures.failures > 0)
                .values(failures=LoginFailures.failures - 1)
            )
        else:
            session.execute(delete(LoginFailures).where(LoginFailures.key == key))
