"""The optional second factor: time-based one-time passwords (TOTP, RFC 6238) with ``pyotp``.

An admin (or the account itself) adds a factor with ``hcctrial user totp add``: a random base32
secret is stored (:class:`~hcctrial.store.models_security.TotpSecret`) and shown once as an
``otpauth://`` URI for an authenticator app. From then on the account signs in with its password
*and* the current 6-digit code. With the setting ``totp_for_admins`` every admin must have one:
an admin without a factor is refused at sign-in (told how to add one).

A code is accepted within one 30-second step either side (clock drift) and only once: the step
of the last accepted code is kept and an equal or older step is refused (RFC 6238 section 5.2,
no replay of an observed code).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from hcctrial.services.permissions import Capability, can
from hcctrial.services.rules import finding, refusal
from hcctrial.services.security_log import security_event
from hcctrial.store import models as m
from hcctrial.store.models_security import TotpSecret

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["ISSUER", "add_totp", "totp_needed", "verify_totp"]

ISSUER = "hcctrial"
_STEP_S = 30


def add_totp(uow: UnitOfWork, username: str, *, now: datetime | None = None) -> tuple[str, str]:
    """Give account ``username`` a new TOTP secret (replacing any earlier one); admins for any
    account, others for their own only (AUTH-ROLE). Return (secret, otpauth URI)."""
    import pyotp

    account = uow.session.scalars(select(m.User).where(m.User.username == username)).first()
    own = account is not None and uow.actor.username == username
    if not (own or can(uow.actor, Capability.MANAGE_USERS)):
        raise refusal(
            [
                finding(
                    "AUTH-ROLE",
                    "totp_secrets",
                    None,
                    None,
                    role=uow.actor.role.value,
                    capability=Capability.MANAGE_USERS.value,
                )
            ]
        )
    if account is None or not account.active:
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
    secret = pyotp.random_base32()
    uow.session.execute(delete(TotpSecret).where(TotpSecret.user_id == account.id))
    uow.session.execute(
        insert(TotpSecret).values(
            user_id=account.id,
            secret=secret,
            added_at=now or datetime.now(UTC),
            confirmed=False,
            last_step=None,
        )
    )
    security_event("totp.added", user=username, by=uow.actor.username)
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return secret, uri


def totp_needed(session: Session, user_id: int, role: m.Role, for_admins: bool) -> str | None:
    """``"code"`` if the account signs in with a code, ``"missing"`` if it must but has no
    factor (an admin while ``for_admins``), None if a password suffices."""
    has = session.scalars(select(TotpSecret.user_id).where(TotpSecret.user_id == user_id)).first()
    if has is not None:
        return "code"
    return "missing" if for_admins and role is m.Role.ADMIN else None


def verify_totp(session: Session, user_id: int, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is the account's current code (one step of drift either side) and newer
    than the last code accepted; an accepted code's step is kept (it is not accepted again)."""
    import pyotp

    row = session.execute(
        select(TotpSecret.secret, TotpSecret.last_step).where(TotpSecret.user_id == user_id)
    ).first()
    code = code.strip().replace(" ", "")
    if row is None or not code.isdigit():
        return False
    now = now or datetime.now(UTC)
    totp = pyotp.TOTP(row.secret)
    step = int(now.timestamp()) // _STEP_S
    for candidate in (step, step - 1, step + 1):
        if row.last_step is not None and candidate <= row.last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(candidate * _STEP_S), code):
            session.execute(
                update(TotpSecret)
                .where(TotpSecret.user_id == user_id)
                .values(last_step=candidate, confirmed=True)
            )
            return True
    return False
