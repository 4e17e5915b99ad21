"""The data-management tables: the state of each form (complete, missing-data codes, source-data
verification), the source-data verification of single fields and the queries between monitor and
site (issue 19).

They are audited like the trial's records (:mod:`hcctrial.services.persistence` writes them with
their hash-chained audit entries, on behalf of :mod:`hcctrial.services.form_status`,
:mod:`hcctrial.services.field_sdv` and :mod:`hcctrial.services.queries`), but they are not clinical data: they are not in
:data:`hcctrial.store.models.DATA_TABLES` (the CSV/REDCap/SDTM exports and the chart rules do not
see them). :data:`DATAMGMT_TABLES` lists them for the audit verification.

A "form" is one saved record of a data table (``form`` = its table name, ``record_id`` = its id):
the baseline, a lab result, a cycle, a scan, a follow-up contact...
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hcctrial.store.models import Record, _enum, _fk

__all__ = ["DATAMGMT_TABLES", "DataQuery", "FieldVerification", "FormState", "QueryStatus"]


class QueryStatus(enum.StrEnum):
    """Where a query stands: raised (open), answered by the site, closed by its raiser."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class FormState(Record):
    """The data-management state of one form (one saved record): marked complete (by whom, when,
    with which missing-data codes) and verified against source (by whom, when, at which version
    of the record -- a later change of the record makes the mark stale)."""

    __tablename__ = "form_states"
    __table_args__ = (UniqueConstraint("form", "record_id"),)
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    form: Mapped[str] = mapped_column(String(64), doc="table name of the record, e.g. baselines")
    record_id: Mapped[int] = mapped_column(Integer, doc="id of the record in that table")
    completed_by: Mapped[str | None] = mapped_column(String(64), doc="who marked it complete")
    completed_at: Mapped[datetime | None] = mapped_column(doc="when it was marked complete (UTC)")
    missing_codes: Mapped[str | None] = mapped_column(
        Text, doc="JSON {field: not_done / not_applicable / unknown} of required empty fields"
    )
    verified_by: Mapped[str | None] = mapped_column(String(64), doc="monitor who verified it")
    verified_at: Mapped[datetime | None] = mapped_column(doc="when verified against source (UTC)")
    verified_version: Mapped[int | None] = mapped_column(
        Integer, doc="version of the record that was verified"
    )


class FieldVerification(Record):
    """One field of one form verified against source by a monitor (who, when, at which version of
    the record). A later change of *that field's value* clears the mark: the unit of work sets
    ``cleared_by`` / ``cleared_at`` / ``cleared_version`` in the transaction of the change
    (:func:`hcctrial.services.field_sdv.clear_changed_fields`); a change of another field leaves
    it. The mark stands while ``cleared_at`` is empty; verifying the field again re-sets it and
    empties the cleared columns; un-marking deletes the row (the audit trail keeps it)."""

    __tablename__ = "field_verifications"
    __table_args__ = (UniqueConstraint("form", "record_id", "field"),)
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    form: Mapped[str] = mapped_column(String(64), doc="table name of the record, e.g. baselines")
    record_id: Mapped[int] = mapped_column(Integer, doc="id of the record in that table")
    field: Mapped[str] = mapped_column(String(64), doc="the column verified against source")
    verified_by: Mapped[str] = mapped_column(String(64), doc="monitor who verified it")
    verified_at: Mapped[datetime] = mapped_column(doc="when verified against source (UTC)")
    verified_version: Mapped[int] = mapped_column(
        Integer, doc="version of the record when the field was verified"
    )
    cleared_by: Mapped[str | None] = mapped_column(
        String(64), doc="who changed the field's value after it was verified"
    )
    cleared_at: Mapped[datetime | None] = mapped_column(
        doc="when a change of the field's value cleared the mark (UTC); empty: the mark stands"
    )
    cleared_version: Mapped[int | None] = mapped_column(
        Integer, doc="version of the record the change made"
    )


class DataQuery(Record):
    """A question on one field of one record, from a monitor or data manager (or an edit check:
    ``rule_id``) to the site, with the site's answer and the raiser's closing."""

    __tablename__ = "data_queries"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    form: Mapped[str] = mapped_column(String(64), doc="table name of the record")
    record_id: Mapped[int] = mapped_column(Integer, doc="id of the record")
    field: Mapped[str] = mapped_column(String(64), doc="the field the query is about")
    text: Mapped[str] = mapped_column(Text, doc="the question")
    status: Mapped[QueryStatus] = mapped_column(
        _enum(QueryStatus, "query_status"), index=True, doc="open / answered / closed"
    )
    raised_by: Mapped[str] = mapped_column(String(64), doc="who raised it (edit check: system)")
    rule_id: Mapped[str | None] = mapped_column(String(64), doc="edit check that raised it")
    answer: Mapped[str | None] = mapped_column(Text, doc="the site's answer")
    answered_by: Mapped[str | None] = mapped_column(String(64), doc="who answered")
    answered_at: Mapped[datetime | None] = mapped_column(doc="when answered (UTC)")
    closed_by: Mapped[str | None] = mapped_column(String(64), doc="who closed it")
    closed_at: Mapped[datetime | None] = mapped_column(doc="when closed (UTC)")


#: The audited data-management tables (parents: patients).
DATAMGMT_TABLES: tuple[type[Record], ...] = (FormState, FieldVerification, DataQuery)
