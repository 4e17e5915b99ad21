"""Failed sign-ins, counted in the database per account and per client address, and lockout
with back-off (OWASP ASVS 4.0 V2.2.1).

Each sign-in attempt is reserved *before* its password is checked (:func:`reserve_attempt`):
one atomic ``UPDATE`` per key raises the attempts in flight (``pending``) only while failures
plus attempts in flight stay under the limit, committed at once. Concurrent attempts therefore
count: of 20 wrong passwords sent at the same moment only the first ``max`` are checked, the
others are refused (the database serialises the updates of a row; the check no longer reads a
limit that earlier attempts have not yet raised). :func:`record_attempt` settles the
reservation: a failure counts, a success gives it back and clears the account's failures. A
reservation whose request died is forgotten when its window ends.

Keys and their limits (settings, :mod:`hcctrial.settings`):

- ``user:<name>`` (lowercased; counted whether or not the account exists, so a locked answer
  tells nothing about existence): ``login_max_failures_account`` (5);
- ``ip:<address>`` (the client address, :func:`client_address`): ``login_max_failures_address``
  (50) -- high, so that colleagues behind one proxy do not lock each other out, yet a guesser
  trying many accounts from one address is stopped.

A key that reaches its limit of failures within ``login_window_s`` is locked for ``lockout_s`` seconds,
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

from sqlalchemy import case, select, update

from hcctrial.services.security_log import security_event
from hcctrial.store.models_security import LoginFailures

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.settings import Settings

__all__ = [
    "Limits",
    "attempt_keys",
    "client_address",
    "record_attempt",
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
        {
            "key": k,
            "failures": 0,
            "pending": 0,
            "window_start": now,
            "locked_until": None,
            "lockouts": 0,
        }
        for k in keys
    ]
    session.execute(insert(LoginFailures).values(rows).on_conflict_do_nothing())


def reserve_attempt(
    session: Session, keys: Sequence[str], limits: Limits, now: datetime, client: str = "?"
) -> int:
    """Reserve one attempt under each of ``keys``; return 0 if the password may be checked,
    else the seconds to wait (refused, nothing checked, nothing reserved).

    One atomic ``UPDATE`` per key raises ``pending`` only while the key is not locked and its
    failures plus the attempts in flight stay under the limit, so however many requests arrive
    together, at most ``limit`` are checked. Call in its own short transaction, committed
    before the password is checked; :func:`record_attempt` settles each reservation."""
    _ensure_rows(session, keys, now)
    cutoff = now - timedelta(seconds=limits.window_s)
    taken: list[str] = []
    wait = 0.0
    for key in keys:
        fresh = LoginFailures.window_start <= cutoff
        got = session.execute(
            update(LoginFailures)
            .where(
                LoginFailures.key == key,
                (LoginFailures.locked_until.is_(None)) | (LoginFailures.locked_until <= now),
                fresh
                | (LoginFailures.failures + LoginFailures.pending < limits.of_key(key)),
            )
            .values(
                pending=case((fresh, 1), else_=LoginFailures.pending + 1),
                failures=case((fresh, 0), else_=LoginFailures.failures),
                window_start=case((fresh, now), else_=LoginFailures.window_start),
                locked_until=None,
            )
            .returning(LoginFailures.key)
        ).first()
        if got is not None:
            taken.append(key)
            continue
        until = session.scalars(
            select(LoginFailures.locked_until).where(LoginFailures.key == key)
        ).one()
        locked = until is not None and until > now
        wait = max(wait, (until - now).total_seconds() if locked and until else 1.0)
        security_event("login.refused", key=key, client=client, locked=locked)
    if wait:
        _release(session, taken)  # refused: the other keys' reservations are given back
        return int(wait) + (1 if wait % 1 else 0)
    return 0


def _release(session: Session, keys: Sequence[str]) -> None:
    for key in keys:
        session.execute(
            update(LoginFailures)
            .where(LoginFailures.key == key, LoginFailures.pending > 0)
            .values(pending=LoginFailures.pending - 1)
        )


def record_attempt(
    session: Session,
    keys: Sequence[str],
    ok: bool,
    limits: Limits,
    now: datetime,
    client: str = "?",
) -> None:
    """Settle the reservations of one attempt. ``ok`` (a right password): given back, and the
    account's failures and lockouts are cleared. Else one failure more; a key that reaches its
    limit is locked for ``lockout_s`` x 2^(earlier lockouts), at most ``lockout_max_s``."""
    _release(session, keys)
    for key in keys:
        if ok:
            if not key.startswith("ip:"):
                session.execute(
                    update(LoginFailures)
                    .where(LoginFailures.key == key)
                    .values(failures=0, lockouts=0, locked_until=None)
                )
            continue
        got = session.execute(
            update(LoginFailures)
            .where(LoginFailures.key == key)
            .values(failures=LoginFailures.failures + 1)
            .returning(LoginFailures.failures, LoginFailures.lockouts)
        ).first()
        if got is None or int(got[0]) < limits.of_key(key):
            continue
        seconds = min(limits.lockout_s * 2 ** int(got[1]), limits.lockout_max_s)
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
