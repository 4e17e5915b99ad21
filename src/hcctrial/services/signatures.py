"""Electronic signatures (21 CFR 11.50, 11.70, 11.200), and the re-authentication they need.

An investigator signs one record (:func:`sign_record`: the record and the rows of its form, e.g.
a scan with its lesions) or a patient's whole casebook (:func:`sign_casebook`) by re-entering
the password (11.200(a)) and choosing the meaning -- "reviewed and approved" or "authored"
(11.50(a)(3)). The signature row keeps the signer's login and printed name, the UTC time and the
meaning (11.50(a)); it is audited like every record (who, when, the row, why), and it is linked
to its record by table, id and version (11.70): a later change of the record's form, or of any
record of a signed casebook, marks the signature ``changed_after_signing`` in the same
transaction (:mod:`~hcctrial.services.part11_gate`, audited), and the record asks for a new
signature. Only investigators sign (SIGN_RECORDS), at their own site (AUTH-SITE); nothing is
signed while the database is locked (DATABASE-LOCKED). A wrong password signs nothing
(PASSWORD-REENTERED).

:func:`authenticate` is the one place a door re-checks a user's password before an action that
must be attributable beyond doubt: a signature, and locking or unlocking the database from the
command line. (When :mod:`hcctrial.services.identity` lands -- command-line identity with a
password or an API token -- this function should call it; every caller stays as it is.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hcctrial.services.permissions import Actor, Capability
from hcctrial.services.rules import finding, refusal
from hcctrial.store import models as m
from hcctrial.store.models_part11 import (
    Signature,
    SignatureMeaning,
    SignatureScope,
    SignatureStatus,
)

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["PasswordCheck", "authenticate", "sign_casebook", "sign_record", "signatures_of"]

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


# ------------------------------------------------------------------------------- signing
def _meaning(value: object) -> SignatureMeaning:
    """The meaning of a signature from its value or its words ("reviewed and approved")."""
    text = str(value).strip().lower().replace(" ", "_") if value is not None else ""
    try:
        return SignatureMeaning(text)
    except ValueError:
        words = ", ".join(f'"{x.words}"' for x in SignatureMeaning)
        raise refusal(
            [
                finding(
                    "SIGN-RECORD",
                    "signatures",
                    None,
                    "meaning",
                    field="meaning",
                    value=value,
                    expected=f"the meaning of the signature: {words}",
                )
            ]
        ) from None


def _sign(
    uow: UnitOfWork,
    *,
    patient_id: int,
    table: str | None,
    record_id: int | None,
    record_version: int | None,
    password: str,
    meaning: object,
    verify: PasswordCheck,
) -> int:
    """Re-authenticate the acting user, then write the signature (audited)."""
    from hcctrial.services import persistence as db
    from hcctrial.services.locks import require_open_database

    how = _meaning(meaning)
    signer = authenticate(uow.session, uow.actor.username, password, verify, done="signed")
    if signer.id != uow.actor.id:  # pragma: no cover - the name is the actor's own
        raise refusal(
            [
                finding(
                    "PASSWORD-REENTERED", "users", None, None, user=signer.username, done="signed"
                )
            ]
        )
    require_open_database(uow)
    user = uow.session.get(m.User, signer.id)
    values = {
        "scope": SignatureScope.CASEBOOK if table is None else SignatureScope.RECORD,
        "patient_id": patient_id,
        "table_name": table,
        "record_id": record_id,
        "record_version": record_version,
        "signer_id": signer.id,
        "signer": signer.username,
        "signer_name": (user.full_name if user is not None else None) or signer.username,
        "meaning": how,
        "signed_at": datetime.now(UTC),
        "status": SignatureStatus.SIGNED,
    }
    what = "casebook" if table is None else f"{table} id {record_id}"
    (pk,) = db.create_many(
        uow.session,
        Signature,
        [values],
        actor=signer.username,
        reason=f"electronic signature ({how.words}) of the {what}",
    )
    return pk


def sign_record(
    uow: UnitOfWork,
    table: str,
    record_id: int,
    *,
    password: str,
    meaning: object,
    verify: PasswordCheck,
) -> int:
    """The acting investigator signs record ``record_id`` of ``table`` (its form: the record and
    the rows under it) with ``meaning``, re-entering ``password``; return the signature's id."""
    from hcctrial.services.locks import patient_of_record, require_capability

    require_capability(uow, Capability.SIGN_RECORDS)
    pid, version = patient_of_record(uow, table, record_id)
    return _sign(
        uow,
        patient_id=pid,
        table=table,
        record_id=record_id,
        record_version=version,
        password=password,
        meaning=meaning,
        verify=verify,
    )


def sign_casebook(
    uow: UnitOfWork, patient_id: int, *, password: str, meaning: object, verify: PasswordCheck
) -> int:
    """The acting investigator signs patient ``patient_id``'s casebook (every record of the
    patient) with ``meaning``, re-entering ``password``; return the signature's id."""
    from hcctrial.services.locks import check_site, require_capability

    require_capability(uow, Capability.SIGN_RECORDS)
    check_site(uow, patient_id)
    return _sign(
        uow,
        patient_id=patient_id,
        table=None,
        record_id=None,
        record_version=None,
        password=password,
        meaning=meaning,
        verify=verify,
    )


def signatures_of(session: Any, patient_id: int) -> list[dict[str, Any]]:
    """The signatures of patient ``patient_id``'s records and casebook, newest first."""
    from sqlalchemy import select

    t = m.table_of(Signature)
    stmt = select(t).where(t.c.patient_id == patient_id).order_by(t.c.id.desc())
    return [dict(r) for r in session.execute(stmt).mappings()]
