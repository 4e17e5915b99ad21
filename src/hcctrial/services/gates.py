"""The gates every write of every trial action passes through, in order (:data:`GATES`): who
and why, the role, the values, the versions, the identifiers (this module), the links and the
sites (:mod:`~hcctrial.services.links`), a new scan's lesions
(:mod:`~hcctrial.services.checks_scans`), the charts (:mod:`~hcctrial.services.chart_gate`).

Each gate is a function ``(unit of work, plan) -> None`` that completes the plan or raises the
refusal of the rules it finds broken (see :mod:`hcctrial.services.unit_of_work` for the list).
They work on all rows of a table at once, so that an import of 600,000 rows and a form of one row
take the same path; the database is read once per table and 500 records.

A check that every write must pass (a signature, a lock, a form's status) is a new gate added to
:data:`GATES` -- the one place: the database lock after the role, the record and casebook
locks (and the signatures a write invalidates) after the sites
(:mod:`~hcctrial.services.part11_gate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hcctrial.protocol.regimen import trial_ctcae_version
from hcctrial.services import persistence as db
from hcctrial.services.chart_gate import charts
from hcctrial.services.checks_scans import scan_lesions
from hcctrial.services.links import links, sites
from hcctrial.services.part11_gate import database_lock, locks_and_signatures
from hcctrial.services.permissions import Capability, can
from hcctrial.services.plan import Plan
from hcctrial.services.rules import Finding, finding, refusal
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["GATES", "Gate"]


_ACCOUNT_TABLES = frozenset({"sites", "users"})


def _refuse(found: Sequence[Finding], plan: Plan) -> None:
    if found:
        raise refusal(found, lines=plan.line_numbers())


# -------------------------------------------------------------------------------- gates 1-4
def _who_and_why(uow: UnitOfWork, plan: Plan) -> None:
    """REASON-REQUIRED: the actor is named; a change or deletion says why."""
    found = []
    name = uow.actor.username
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        found.append(
            finding(
                "REASON-REQUIRED",
                "audit_log",
                None,
                "actor",
                field="actor",
                value=name,
                expected="the non-empty name of who makes the change (<= 64 chars)",
            )
        )
    if not isinstance(plan.reason, str) or not plan.reason.strip():
        found.append(
            finding(
                "REASON-REQUIRED",
                "audit_log",
                None,
                "reason",
                field="reason",
                value=plan.reason,
                expected="a non-empty reason for the change (it goes into the audit trail)",
            )
        )
    _refuse(found, plan)


def _role(uow: UnitOfWork, plan: Plan) -> None:
    """AUTH-ROLE: editing records needs EDIT_RECORDS; sites and accounts need MANAGE_USERS."""
    tables = {r.table for r in plan.inserts} | {c.table for c in plan.changes}
    if plan.touched:
        tables.add("patients")
    needed = [Capability.MANAGE_USERS] if tables & _ACCOUNT_TABLES else []
    if tables - _ACCOUNT_TABLES:
        needed.append(Capability.EDIT_RECORDS)
    for capability in needed:
        if not can(uow.actor, capability):
            _refuse(
                [
                    finding(
                        "AUTH-ROLE",
                        "",
                        None,
                        None,
                        role=uow.actor.role.value,
                        capability=capability.value.replace("_", " "),
                    )
                ],
                plan,
            )


def problem_findings(table: str, pk: int | None, problems: Sequence[Any]) -> list[Finding]:
    """The findings (rule FIELD-VALUE or the problem's own) of a row's column problems."""
    return [
        finding(
            p.rule,
            table,
            pk,
            p.column,
            table=table,
            field=p.column,
            value=p.value,
            expected=p.expected,
        )
        for p in problems
    ]


def _as_int(raw: object) -> int | None:
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


def _temporary_ids_kept(uow: UnitOfWork, model: type[m.Record], prepare: Any) -> Any:
    """Wrap a row preparer so that the unit of work's temporary (negative) ids of new records,
    in ``id`` and in foreign keys, pass unchecked: ids must be positive (FIELD-VALUE) only where
    a user gives them (an import); a temporary id is replaced by the database's at write time."""
    from hcctrial.store.values import column_specs

    keys = tuple(n for n, spec in column_specs(model).items() if n == "id" or spec.references)

    def prepare_keeping(raw: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        temp = {k: raw[k] for k in keys if uow.is_temporary_id(raw.get(k))}
        if not temp:
            return prepare(raw)
        values, problems = prepare({**raw, **dict.fromkeys(temp, 1)})
        values.update(temp)
        return values, problems

    return prepare_keeping


def _values(uow: UnitOfWork, plan: Plan) -> None:
    """FIELD-VALUE and the value rules of single records (labs, adverse-event terms and grades
    of the trial's CTCAE version: :func:`hcctrial.protocol.regimen.trial_ctcae_version`)."""
    found: list[Finding] = []
    version = trial_ctcae_version(uow.regimen)
    for ins in plan.inserts:
        preparer = db.insert_preparer(ins.model, version)
        prepare = _temporary_ids_kept(uow, ins.model, preparer)
        out: list[dict[str, Any]] = []
        append = out.append
        for i, raw in enumerate(ins.rows):
            values, problems = prepare(raw)
            if problems:
                pk = values.get("id")
                pk = _as_int(raw.get("id")) if pk is None else pk
                if ins.lines is not None and isinstance(pk, int):
                    plan.lines[(ins.table, pk)] = ins.lines[i]
                found.extend(problem_findings(ins.table, pk, problems))
            elif ins.model is m.DerivedOverride and values.get("overridden_by") is None:
                values["overridden_by"] = uow.actor.username
            append(values)
        ins.rows = out
    for ch in plan.changes:
        old = _saved_row(uow.session, ch.model, ch.pk)
        if old is None:
            found.append(
                finding(
                    "FIELD-VALUE",
                    ch.table,
                    ch.pk,
                    "id",
                    table=ch.table,
                    field="id",
                    value=ch.pk,
                    expected="the id of an existing record",
                )
            )
            continue
        ch.old = old
        if ch.new is None:
            continue
        if "id" in ch.changes:
            found.append(
                finding(
                    "FIELD-VALUE",
                    ch.table,
                    ch.pk,
                    "id",
                    table=ch.table,
                    field="id",
                    value=ch.changes["id"],
                    expected="no change of the id",
                )
            )
            continue
        prepared, problems = db.prepare_row(ch.model, ch.changes, partial=True)
        new = {**old, **prepared}
        if not problems and ch.model is m.LabResult:
            problems = db.lab_problems(new, ch.changes.get("canonical_value"))
        if not problems and ch.model is m.AdverseEvent and {"term", "grade"} & ch.changes.keys():
            problems = db.adverse_event_problems(new, version)
        found.extend(problem_findings(ch.table, ch.pk, problems))
        ch.new = new
    _refuse(found, plan)


def _saved_row(session: Session, model: type[m.Record], pk: int) -> dict[str, Any] | None:
    from sqlalchemy import select

    table = m.table_of(model)
    row = session.execute(select(table).where(table.c.id == pk)).mappings().one_or_none()
    return None if row is None else dict(row)


def _versions(uow: UnitOfWork, plan: Plan) -> None:
    """VERSION-STALE: a change applies to the version the user saw."""
    for ch in plan.changes:
        if ch.old["version"] != ch.expected_version:
            raise db.conflict(ch.table, ch.pk, ch.expected_version, ch.old["version"])


# ---------------------------------------------------------------------------- identifiers
STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SITE_BOUND_ROLES = frozenset({m.Role.INVESTIGATOR, m.Role.COORDINATOR})


def identifiers(uow: UnitOfWork, plan: Plan) -> None:
    """STUDY-ID on patients; ACCOUNT-NAME, ACCOUNT-SITE, ACCOUNT-SELF on users."""
    found = []
    patients = [r for ins in plan.inserts if ins.table == "patients" for r in ins.rows]
    patients += [
        ch.new
        for ch in plan.changes
        if ch.table == "patients" and "study_id" in ch.changes and ch.new is not None
    ]
    for row in patients:
        if not STUDY_ID.match(str(row.get("study_id", ""))):
            found.append(
                finding(
                    "STUDY-ID",
                    "patients",
                    row["id"],
                    "study_id",
                    value=row.get("study_id"),
                    expected="letters, digits, - or _, starting with a letter or digit, at most "
                    "32 characters",
                )
            )
    rows = [r for ins in plan.inserts if ins.table == "users" for r in ins.rows]
    rows += [ch.new for ch in plan.changes if ch.table == "users" and ch.new is not None]
    for row in rows:
        if not USERNAME.match(str(row.get("username", ""))):
            found.append(
                finding(
                    "ACCOUNT-NAME",
                    "users",
                    row["id"],
                    "username",
                    value=row.get("username"),
                    expected="letters, digits, '.', '_' or '-', starting with a letter or digit, "
                    "at most 64 characters",
                )
            )
        if row.get("role") in SITE_BOUND_ROLES and row.get("site_id") is None:
            found.append(
                finding("ACCOUNT-SITE", "users", row["id"], "site_id", role=row["role"].value)
            )
        if row["id"] == uow.actor.id and row.get("active") is False:
            found.append(finding("ACCOUNT-SELF", "users", row["id"], "active"))
    _refuse(found, plan)


Gate = Callable[["UnitOfWork", Plan], None]
#: Every write passes these gates, in this order.
GATES: tuple[Gate, ...] = (
    _who_and_why,
    _role,
    database_lock,
    _values,
    _versions,
    identifiers,
    links,
    sites,
    locks_and_signatures,
    scan_lesions,
    charts,
)
