"""Queries between monitor and site: raised on one field of one form, answered by the site (with
or without a change of the value, which goes through the trial's actions with the query as its
reason), closed or re-opened by a monitor or data manager. Edit checks raise queries too
(:mod:`hcctrial.services.edit_checks`).

The flow (rule QUERY-FLOW)::

    open --answer (site)--> answered --close (monitor)--> closed
      \\--close (monitor)-----------------------------------^    |
    open <--re-open (monitor)-- answered / closed <--------------/

Writes go through :mod:`hcctrial.services.persistence` (audited, optimistic versions). Rules:
AUTH-ROLE (raise, close, re-open: the manage-data capability; answer: the edit capability), DM-SITE
(the patient's site), QUERY-TEXT, QUERY-FLOW.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.form_status import FORMS, check_access, check_access_role, form_record
from hcctrial.services.part11_gate import refuse_while_database_locked
from hcctrial.services.permissions import Actor, Capability, spans_sites
from hcctrial.services.rules import finding, refusal
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import DataQuery, QueryStatus
from hcctrial.store.values import MANAGED_COLUMNS, column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = [
    "QueryCounts",
    "answer_query",
    "close_query",
    "find_queries",
    "open_query_counts",
    "queries_of",
    "raise_query",
    "reopen_query",
]

#: Longest text of a question or an answer (characters).
MAX_TEXT = 4000


def _text(label: str, value: object, table: str, pk: int | None, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_TEXT:
        problem = (
            (
                "please write what should be checked"
                if field == "text"
                else "please write the answer"
            )
            if not text
            else f"at most {MAX_TEXT} characters, please"
        )
        raise refusal(
            [finding("QUERY-TEXT", table, pk, field, label=label, problem=problem, value=value)]
        )
    return text


def raise_query(
    uow: UnitOfWork,
    form: str,
    record_id: int,
    field: str,
    text: str,
    *,
    rule_id: str | None = None,
    reason: str = "query raised",
) -> int:
    """Raise a query on ``field`` of a saved form (monitor, data manager); return its id."""
    session = uow.session
    obj, pid = form_record(session, form, record_id)
    check_access(session, uow.actor, Capability.MANAGE_DATA, pid, f"{FORMS[form][1]} {record_id}")
    fields = [n for n in column_specs(type(obj)) if n not in MANAGED_COLUMNS and n != "id"]
    if field not in fields:
        raise refusal(
            [
                finding(
                    "QUERY-TEXT",
                    "data_queries",
                    None,
                    "field",
                    label="Field",
                    problem=f"{field!r} is not a field of this form ({', '.join(fields)})",
                    value=field,
                )
            ]
        )
    question = _text("Question", text, "data_queries", None, "text")
    row = {
        "patient_id": pid,
        "form": form,
        "record_id": record_id,
        "field": field,
        "text": question,
        "status": QueryStatus.OPEN,
        "raised_by": uow.actor.username,
        "rule_id": rule_id,
    }
    refuse_while_database_locked(session)
    return db.create(session, DataQuery, row, actor=uow.actor.username, reason=reason).id


def _load(uow: UnitOfWork, query_id: int, capability: Capability) -> DataQuery:
    from hcctrial.errors import field_error

    q = uow.session.get(DataQuery, query_id)
    if q is None:
        raise field_error("query", query_id, "the id of a query")
    check_access(uow.session, uow.actor, capability, q.patient_id, f"Query {query_id}")
    refuse_while_database_locked(uow.session)  # every caller writes the query
    return q


def _flow(q: DataQuery, allowed: Sequence[QueryStatus], doing: str) -> None:
    if q.status not in allowed:
        raise refusal(
            [
                finding(
                    "QUERY-FLOW",
                    "data_queries",
                    q.id,
                    "status",
                    query=q.id,
                    status=q.status.value,
                    doing=doing,
                )
            ]
        )


def answer_query(
    uow: UnitOfWork,
    query_id: int,
    answer: str,
    *,
    new_value: object = None,
    change_value: bool = False,
) -> None:
    """The site answers an open query; with ``change_value`` the queried field is changed to
    ``new_value`` through :func:`hcctrial.services.amend.amend_record` (every rule of the trial
    applies), its reason naming the query and the answer."""
    from hcctrial.services.amend import amend_record

    q = _load(uow, query_id, Capability.EDIT_RECORDS)
    _flow(q, (QueryStatus.OPEN,), "answered (it is not open)")
    text = _text("Answer", answer, "data_queries", q.id, "answer")
    if change_value:
        obj, _ = form_record(uow.session, q.form, q.record_id)
        amend_record(
            uow,
            type(obj),
            q.record_id,
            {q.field: new_value},
            expected_version=obj.version,
            reason=f"answer to query {q.id}: {text}",
        )
    changes = {
        "status": QueryStatus.ANSWERED,
        "answer": text,
        "answered_by": uow.actor.username,
        "answered_at": datetime.now(UTC),
    }
    db.update(
        uow.session,
        DataQuery,
        q.id,
        changes,
        expected_version=q.version,
        actor=uow.actor.username,
        reason="query answered",
    )


def close_query(uow: UnitOfWork, query_id: int, *, reason: str = "query closed") -> None:
    """Close an open or answered query (monitor, data manager)."""
    q = _load(uow, query_id, Capability.MANAGE_DATA)
    _flow(q, (QueryStatus.OPEN, QueryStatus.ANSWERED), "closed (it is closed already)")
    changes = {
        "status": QueryStatus.CLOSED,
        "closed_by": uow.actor.username,
        "closed_at": datetime.now(UTC),
    }
    db.update(
        uow.session,
        DataQuery,
        q.id,
        changes,
        expected_version=q.version,
        actor=uow.actor.username,
        reason=reason,
    )


def reopen_query(uow: UnitOfWork, query_id: int, text: str) -> None:
    """Re-open an answered or closed query with a new question (monitor, data manager)."""
    q = _load(uow, query_id, Capability.MANAGE_DATA)
    _flow(q, (QueryStatus.ANSWERED, QueryStatus.CLOSED), "re-opened (it is open)")
    question = _text("Question", text, "data_queries", q.id, "text")
    changes: dict[str, Any] = {
        "status": QueryStatus.OPEN,
        "text": question,
        "closed_by": None,
        "closed_at": None,
    }
    db.update(
        uow.session,
        DataQuery,
        q.id,
        changes,
        expected_version=q.version,
        actor=uow.actor.username,
        reason="query re-opened",
    )


# ----------------------------------------------------------------------------------- reading
def queries_of(session: Session, patient_id: int) -> list[DataQuery]:
    """Every query of a patient, open ones first, newest first."""
    from sqlalchemy import select

    order = {QueryStatus.OPEN: 0, QueryStatus.ANSWERED: 1, QueryStatus.CLOSED: 2}
    rows = list(session.scalars(select(DataQuery).where(DataQuery.patient_id == patient_id)))
    return sorted(rows, key=lambda q: (order[q.status], -q.id))


def _statuses(given: Iterable[str | QueryStatus] | None) -> frozenset[QueryStatus] | None:
    """The query statuses asked for (None: every status); an unknown one is a named error."""
    from hcctrial.errors import field_error

    if given is None:
        return None
    out = set()
    for value in given:
        try:
            out.add(QueryStatus(str(getattr(value, "value", value)).strip().lower()))
        except ValueError:
            known = ", ".join(s.value for s in QueryStatus)
            raise field_error("status", value, f"one of {known}") from None
    return frozenset(out) or None


def _site_scope(session: Session, actor: Actor, site_id: int | None) -> int | None:
    """The one site whose queries are listed (None: every site ``actor`` sees); DM-SITE refuses
    another site, a site id that does not exist is a named error."""
    from hcctrial.errors import field_error

    if site_id is not None and session.get(m.Site, site_id) is None:
        raise field_error("site_id", site_id, "the id of a site of this trial")
    if spans_sites(actor):
        return site_id
    if site_id is not None and site_id != actor.site_id:
        yours = "no site" if actor.site_id is None else f"site {actor.site_id}"
        raise refusal(
            [
                finding(
                    "DM-SITE",
                    "sites",
                    site_id,
                    "site_id",
                    what=f"The query list of site {site_id}",
                    yours=yours,
                )
            ]
        )
    return actor.site_id if actor.site_id is not None else -1


def find_queries(
    session: Session,
    actor: Actor,
    *,
    patient_id: int | None = None,
    site_id: int | None = None,
    statuses: Iterable[str | QueryStatus] | None = None,
) -> list[DataQuery]:
    """The queries ``actor`` may see: of one patient (``patient_id``), of one site (``site_id``)
    or over every site the actor sees (neither); only those of ``statuses`` when given. Open ones
    first, then answered, then closed; newest first within each.

    Refused: AUTH-ROLE without the view-patients capability, DM-SITE for a patient or a site of
    another site; an unknown status, site or patient is a named error.
    """
    from sqlalchemy import select

    from hcctrial.errors import field_error

    wanted = _statuses(statuses)
    if patient_id is not None:
        if site_id is not None:
            raise field_error("site_id", site_id, "no site with a patient (the patient's site)")
        if session.get(m.Patient, patient_id) is None:
            raise field_error("patient_id", patient_id, "the id of a patient of this trial")
        check_access(session, actor, Capability.VIEW_PATIENTS, patient_id, f"Patient {patient_id}")
        stmt = select(DataQuery).where(DataQuery.patient_id == patient_id)
    else:
        check_access_role(actor, Capability.VIEW_PATIENTS)
        site = _site_scope(session, actor, site_id)
        stmt = select(DataQuery).join(m.Patient, m.Patient.id == DataQuery.patient_id)
        if site is not None:
            stmt = stmt.where(m.Patient.site_id == site)
    if wanted is not None:
        stmt = stmt.where(DataQuery.status.in_(sorted(wanted)))
    order = {QueryStatus.OPEN: 0, QueryStatus.ANSWERED: 1, QueryStatus.CLOSED: 2}
    return sorted(session.scalars(stmt), key=lambda q: (order[q.status], -q.id))


@dataclass(frozen=True)
class QueryCounts:
    """Open queries (open or answered, i.e. not closed) per patient, per site and trial-wide,
    over the patients the user sees."""

    per_patient: Mapping[int, int]
    per_site: Mapping[int, int]
    total: int


def open_query_counts(session: Session, actor: Actor) -> QueryCounts:
    """Counts of queries not yet closed, over the patients ``actor`` sees."""
    from sqlalchemy import func, select

    stmt = (
        select(m.Patient.id, m.Patient.site_id, func.count(DataQuery.id))
        .join(DataQuery, DataQuery.patient_id == m.Patient.id)
        .where(DataQuery.status != QueryStatus.CLOSED)
        .group_by(m.Patient.id, m.Patient.site_id)
    )
    if not spans_sites(actor):
        stmt = stmt.where(m.Patient.site_id == (actor.site_id if actor.site_id else -1))
    per_patient: dict[int, int] = {}
    per_site: dict[int, int] = {}
    for pid, site, n in session.execute(stmt):
        per_patient[int(pid)] = int(n)
        per_site[int(site)] = per_site.get(int(site), 0) + int(n)
    return QueryCounts(per_patient, per_site, sum(per_patient.values()))
