"""The tables of 21 CFR Part 11 controls: electronic signatures and locks (issue 16).

- :class:`Signature` -- an investigator's electronic signature of one record (a form: the record
  and its child rows, e.g. a scan with its lesions) or of a patient's whole casebook: who signed
  (user id, login name and printed name), when (UTC), the meaning of the signature (21 CFR
  11.50: "reviewed and approved" or "authored") and its status: ``signed``, or
  ``changed_after_signing`` once the signed record (or any record of the signed casebook) is
  changed -- then a new signature is asked for.
- :class:`Lock` -- a lock of one record, of a patient's casebook, or of the whole database
  (frozen for analysis). An active lock refuses every write it covers, through every door (the
  unit of work's gate, :mod:`hcctrial.services.lock_gate`); unlocking keeps the row, with who
  unlocked it, when and why.

Both tables are written only by the services (:mod:`hcctrial.services.signatures`,
:mod:`hcctrial.services.locks`) and audited like every record (hash-chained entry with who, when,
old, new, reason). They are not trial data: they are not in :data:`~hcctrial.store.models.
DATA_TABLES` (so no CSV import can forge a signature or lift a lock, and no generic record edit
reaches them), but ``audit verify`` checks them like the data tables (:data:`PART11_TABLES`).
``patient_id`` and ``record_id`` carry no foreign key on purpose: a signature or lock is
evidence and outlives the record it was about.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hcctrial.store.models import Record, _enum, _fk

__all__ = [
    "PART11_TABLES",
    "Lock",
    "LockScope",
    "Signature",
    "SignatureMeaning",
    "SignatureScope",
    "SignatureStatus",
]


class SignatureMeaning(enum.StrEnum):
    """What a signature means (21 CFR 11.50(a)(3)); the words are shown beside the name."""

    REVIEWED_AND_APPROVED = "reviewed_and_approved"
    AUTHORED = "authored"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class SignatureScope(enum.StrEnum):
    RECORD = "record"
    CASEBOOK = "casebook"


class SignatureStatus(enum.StrEnum):
    """``signed``: the record is as it was signed; ``changed_after_signing``: it was changed
    since, and a new signature is needed."""

    SIGNED = "signed"
    CHANGED_AFTER_SIGNING = "changed_after_signing"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class LockScope(enum.StrEnum):
    RECORD = "record"
    CASEBOOK = "casebook"
    DATABASE = "database"


class Signature(Record):
    """One electronic signature of a record or of a patient's casebook."""

    __tablename__ = "signatures"
    scope: Mapped[SignatureScope] = mapped_column(
        _enum(SignatureScope, "signature_scope"), doc="record / casebook"
    )
    patient_id: Mapped[int] = mapped_column(Integer, index=True, doc="the patient (patients.id)")
    table_name: Mapped[str | None] = mapped_column(String(64), doc="the signed record's table")
    record_id: Mapped[int | None] = mapped_column(Integer, doc="the signed record's id")
    record_version: Mapped[int | None] = mapped_column(
        Integer, doc="the signed record's version when signed"
    )
    signer_id: Mapped[int] = mapped_column(_fk("users.id"), doc="users.id of the signer")
    signer: Mapped[str] = mapped_column(String(64), doc="the signer's login name")
    signer_name: Mapped[str] = mapped_column(String(200), doc="the signer's printed name")
    meaning: Mapped[SignatureMeaning] = mapped_column(
        _enum(SignatureMeaning, "signature_meaning"), doc="reviewed_and_approved / authored"
    )
    signed_at: Mapped[datetime] = mapped_column(doc="when signed, UTC")
    status: Mapped[SignatureStatus] = mapped_column(
        _enum(SignatureStatus, "signature_status"), doc="signed / changed_after_signing"
    )


class Lock(Record):
    """One lock of a record, a casebook or the database; ``active`` False once unlocked."""

    __tablename__ = "locks"
    scope: Mapped[LockScope] = mapped_column(
        _enum(LockScope, "lock_scope"), doc="record / casebook / database"
    )
    patient_id: Mapped[int | None] = mapped_column(
        Integer, index=True, doc="the patient (record and casebook locks)"
    )
    table_name: Mapped[str | None] = mapped_column(String(64), doc="the locked record's table")
    record_id: Mapped[int | None] = mapped_column(Integer, doc="the locked record's id")
    locked_by: Mapped[str] = mapped_column(String(64), doc="who locked (login name)")
    locked_at: Mapped[datetime] = mapped_column(doc="when locked, UTC")
    reason: Mapped[str] = mapped_column(Text, doc="why locked")
    active: Mapped[bool] = mapped_column(Boolean, index=True, doc="the lock is in force")
    unlocked_by: Mapped[str | None] = mapped_column(String(64), doc="who unlocked")
    unlocked_at: Mapped[datetime | None] = mapped_column(doc="when unlocked, UTC")
    unlock_reason: Mapped[str | None] = mapped_column(Text, doc="why unlocked")


#: The audited tables of the Part 11 controls (``audit verify`` checks them with the data).
PART11_TABLES: tuple[type[Record], ...] = (Signature, Lock)
