"""The gates every write of every trial action passes through, in order (:data:`GATES`).

Each gate is a function ``(unit of work, plan) -> None`` that completes the plan or raises the
refusal of the rules it finds broken (see :mod:`hcctrial.services.unit_of_work` for the list).
They work on all rows of a table at once, so that an import of 600,000 rows and a form of one row
take the same path; the database is read once per table and 500 records.

A check that every write must pass (a signature, a lock, a form's status) is a new gate added to
:data:`GATES` -- the one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.charts import PATIENT_PATH, Chart, load_charts
from hcctrial.services.checks import chart_findings, new_findings
from hcctrial.services.permissions import Capability, can, sees_site
from hcctrial.services.plan import MODELS, Plan, PlannedChange
from hcctrial.services.rules import Finding, finding, refusal
from hcctrial.services.states import next_status, transition_problem
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["GATES", "Gate"]

_ACCOUNT_TABLES = frozenset({"sites", "users"})


def _refuse(found: Sequence[Finding], plan: Plan) -> None:
    if found:
        raise refusal(found, lines=plan.lines or None)


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


def _problem_findings(table: str, pk: int | None, problems: Sequence[Any]) -> list[Finding]:
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


def _values(uow: UnitOfWork, plan: Plan) -> None:
    """FIELD-VALUE and the value rules of single records (labs, adverse-event terms)."""
    found: list[Finding] = []
    for ins in plan.inserts:
        prepare = db.prepare_insert_row
        out = []
        for i, raw in enumerate(ins.rows):
            values, problems = prepare(ins.model, raw)
            pk = values.get("id", _as_int(raw.get("id")))
            if ins.lines is not None and isinstance(pk, int):
                plan.lines[(ins.table, pk)] = ins.lines[i]
            if problems:
                found.extend(_problem_findings(ins.table, pk, problems))
            elif ins.model is m.DerivedOverride and values.get("overridden_by") is None:
                values["overridden_by"] = uow.actor.username
            out.append(values)
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
            problems = db.adverse_event_problems(new)
        found.extend(_problem_findings(ch.table, ch.pk, problems))
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


# ---------------------------------------------------------------------------------- gate 5
def _select_ids(
    session: Session, table: str, columns: Sequence[str], ids: Iterable[int]
) -> list[dict[str, Any]]:
    from sqlalchemy import select

    t = m.table_of(MODELS[table])
    wanted = sorted({int(i) for i in ids if isinstance(i, int) and i > 0})
    out: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        stmt = select(*(t.c[c] for c in columns)).where(t.c.id.in_(chunk))
        out.extend(dict(r) for r in session.execute(stmt).mappings())
    return out


#: level-1 tables (with patient_id) that are parents of other chart tables
_PARENTS = ("screenings", "treatment_cycles", "imaging_assessments")


def _parent_refs(plan: Plan) -> Iterable[tuple[str, int, str, Any, str]]:
    """(table, record id, fk column, fk value, parent table) of every row of the plan: inserted
    rows, and the old and new version of changed rows."""
    for ins in plan.inserts:
        path = PATIENT_PATH.get(ins.table)
        if path is None:
            continue
        fk, parent = path
        for row in ins.rows:
            yield ins.table, row["id"], fk, row.get(fk), parent
    for ch in plan.changes:
        path = PATIENT_PATH.get(ch.table)
        if path is None:
            continue
        fk, parent = path
        yield ch.table, ch.pk, fk, ch.old.get(fk), parent
        if ch.new is not None:
            yield ch.table, ch.pk, fk, ch.new.get(fk), parent


def _resolve_owners(uow: UnitOfWork, plan: Plan) -> list[Finding]:
    """Fill ``plan.owner`` (record -> patient) and ``plan.saved_patients``; PARENT-EXISTS."""
    owner, session = plan.owner, uow.session
    for ins in plan.inserts:
        if ins.table == "patients":
            for row in ins.rows:
                owner["patients"][row["id"]] = row["id"]
                plan.saved_patients[row["id"]] = None
                plan.new_patients[row["id"]] = row
        elif ins.table in _PARENTS:
            for row in ins.rows:
                pid = row.get("patient_id")
                if pid is not None:
                    owner[ins.table][row["id"]] = pid
    for ch in plan.changes:
        if ch.table == "patients":
            owner["patients"][ch.pk] = ch.pk
            plan.saved_patients[ch.pk] = ch.old
    refs = list(_parent_refs(plan))
    for parent in _PARENTS:  # grandchildren's parents from the database
        wanted = {v for _, _, _, v, p in refs if p == parent and v not in owner[parent]}
        for r in _select_ids(session, parent, ("id", "patient_id"), wanted):
            owner[parent][r["id"]] = r["patient_id"]
    patients = {v for _, _, _, v, p in refs if p == "patients"} | plan.touched
    patients |= {pid for parent in _PARENTS for pid in owner[parent].values()}
    wanted = {p for p in patients if p not in plan.saved_patients}
    for r in _select_ids(session, "patients", list(m.table_of(m.Patient).c.keys()), wanted):
        owner["patients"][r["id"]] = r["id"]
        plan.saved_patients[r["id"]] = r
    found = [
        finding(
            "PARENT-EXISTS",
            "patients",
            pid,
            "id",
            table="patients",
            field="id",
            value=pid,
            target="patients",
            expected="the id of a row of patients",
        )
        for pid in sorted(plan.touched)
        if pid not in plan.saved_patients
    ]
    for table, pk, fk, value, parent in refs:
        pid = value if parent == "patients" else owner[parent].get(value)
        if value is None or pid is None or pid not in plan.saved_patients:
            found.append(
                finding(
                    "PARENT-EXISTS",
                    table,
                    pk,
                    fk,
                    table=table,
                    field=fk,
                    value=value,
                    target=parent,
                    expected=f"the id of a row of {parent}",
                )
            )
    return found


def _patient_of(plan: Plan, table: str, row: dict[str, Any]) -> int | None:
    if table == "patients":
        return int(row["id"])
    fk, parent = PATIENT_PATH[table]
    value = row.get(fk)
    if value is None:
        return None
    return int(value) if parent == "patients" else plan.owner[parent].get(value)


def _site_refs(uow: UnitOfWork, plan: Plan) -> list[Finding]:
    """PARENT-EXISTS of the site a patient or user points to."""
    given = {r["id"] for ins in plan.inserts if ins.table == "sites" for r in ins.rows}
    refs = [
        (ins.table, r["id"], r.get("site_id"))
        for ins in plan.inserts
        if ins.table in ("patients", "users")
        for r in ins.rows
    ] + [
        (ch.table, ch.pk, ch.new.get("site_id"))
        for ch in plan.changes
        if ch.table in ("patients", "users") and ch.new is not None
    ]
    wanted = {s for _, _, s in refs if s is not None and s not in given}
    known = given | {r["id"] for r in _select_ids(uow.session, "sites", ("id",), wanted)}
    return [
        finding(
            "PARENT-EXISTS",
            table,
            pk,
            "site_id",
            table=table,
            field="site_id",
            value=site,
            target="sites",
            expected="the id of a row of sites",
        )
        for table, pk, site in refs
        if site is not None and site not in known
    ]


#: table -> (the columns unique across the whole database, words for the record)
_GLOBAL_UNIQUE = {
    "patients": ("study_id", "a patient with this study id"),
    "users": ("username", "a user with this name"),
    "sites": ("code", "a site with this code"),
}


def _unique_values(uow: UnitOfWork, plan: Plan) -> list[Finding]:
    """RECORD-UNIQUE across the database: study ids, user names, site codes."""
    from sqlalchemy import select

    found: list[Finding] = []
    for table, (column, what) in _GLOBAL_UNIQUE.items():
        values: list[tuple[int, Any]] = [
            (r["id"], r.get(column)) for ins in plan.inserts if ins.table == table for r in ins.rows
        ]
        values += [
            (ch.pk, ch.new[column])
            for ch in plan.changes
            if ch.table == table and ch.new is not None and column in ch.changes
        ]
        if not values:
            continue
        t = m.table_of(MODELS[table])
        distinct = sorted({v for _, v in values if v is not None})
        taken: dict[Any, int] = {}
        for start in range(0, len(distinct), 500):
            stmt = select(t.c[column], t.c.id).where(t.c[column].in_(distinct[start : start + 500]))
            taken.update({v: pk for v, pk in uow.session.execute(stmt)})
        for pk, value in values:
            if value is None:
                continue
            if value in taken and taken[value] != pk:
                found.append(
                    finding(
                        "RECORD-UNIQUE",
                        table,
                        pk,
                        column,
                        what=what[0].upper() + what[1:],
                        key=f"{column} {value}",
                        value=value,
                        expected=f"a {column.replace('_', ' ')} not already used",
                    )
                )
            taken.setdefault(value, pk)
    return found


def links(uow: UnitOfWork, plan: Plan) -> None:
    """Gate 5: PARENT-EXISTS, RECORD-UNIQUE (database-wide), DELETE-REFERENCED."""
    found = _resolve_owners(uow, plan) + _site_refs(uow, plan) + _unique_values(uow, plan)
    for ch in plan.changes:
        if ch.new is None:
            refs = db.referencing_rows(uow.session, ch.model, ch.pk)
            if refs:
                found.append(
                    finding(
                        "DELETE-REFERENCED",
                        ch.table,
                        ch.pk,
                        None,
                        table=ch.table,
                        id=ch.pk,
                        refs=", ".join(refs),
                    )
                )
    _refuse(found, plan)


# ---------------------------------------------------------------------------------- gate 6
def _patient_row(plan: Plan, pid: int | None) -> dict[str, Any] | None:
    if pid is None:
        return None
    return plan.saved_patients.get(pid) or plan.new_patients.get(pid)


def _site_of(plan: Plan, pid: int | None) -> int | None:
    row = _patient_row(plan, pid)
    return None if row is None else row.get("site_id")


def _study_id(plan: Plan, pid: int) -> str:
    row = _patient_row(plan, pid)
    return str(pid if row is None else row.get("study_id"))


def sites(uow: UnitOfWork, plan: Plan) -> None:
    """Gate 6: AUTH-SITE on every patient a record belongs to, before and after the change (its
    own and its parents'), then RECORD-MOVE and STATUS-DIRECT."""
    actor = uow.actor
    checked: dict[int, bool] = {}
    found: list[Finding] = []

    def check(table: str, pk: int, fk: str | None, pid: int | None) -> None:
        site = _site_of(plan, pid)
        if pid is None or site is None:
            return
        if pid not in checked:
            checked[pid] = sees_site(actor, site)
            if not checked[pid]:
                yours = "no site" if actor.site_id is None else f"site {actor.site_id}"
                found.append(
                    finding(
                        "AUTH-SITE",
                        table,
                        pk,
                        fk,
                        what=f"Patient {_study_id(plan, pid)}",
                        site=site,
                        yours=yours,
                    )
                )

    for ins in plan.inserts:
        if ins.table in PATIENT_PATH or ins.table == "patients":
            fk = PATIENT_PATH.get(ins.table, ("site_id", ""))[0]
            for row in ins.rows:
                check(ins.table, row["id"], fk, _patient_of(plan, ins.table, row))
    for pid in sorted(plan.touched):
        check("patients", pid, None, pid)
    for ch in plan.changes:
        if ch.table in PATIENT_PATH or ch.table == "patients":
            fk = PATIENT_PATH.get(ch.table, ("site_id", ""))[0]
            check(ch.table, ch.pk, fk, _patient_of(plan, ch.table, ch.old))
            if ch.new is not None:
                check(ch.table, ch.pk, fk, _patient_of(plan, ch.table, ch.new))
                if ch.table == "patients" and ch.new.get("site_id") != ch.old.get("site_id"):
                    site = ch.new.get("site_id")
                    if site is not None and not sees_site(actor, site):
                        found.append(
                            finding(
                                "AUTH-SITE",
                                ch.table,
                                ch.pk,
                                "site_id",
                                what=f"Site {site}",
                                site=site,
                                yours="no site"
                                if actor.site_id is None
                                else f"site {actor.site_id}",
                            )
                        )
    _refuse(found, plan)
    _refuse([f for ch in plan.changes for f in _move_findings(plan, ch)], plan)


def _move_findings(plan: Plan, ch: PlannedChange) -> list[Finding]:
    if ch.new is None:
        return []
    out = []
    if ch.table == "patients":
        if ch.new.get("site_id") != ch.old.get("site_id"):
            out.append(
                finding(
                    "RECORD-MOVE",
                    "patients",
                    ch.pk,
                    "site_id",
                    table="patients",
                    field="site_id",
                    value=ch.new.get("site_id"),
                    what="site",
                )
            )
        if "status" in ch.changes and ch.new.get("status") != ch.old.get("status"):
            out.append(finding("STATUS-DIRECT", "patients", ch.pk, "status"))
        return out
    path = PATIENT_PATH.get(ch.table)
    if path is None:
        return out
    fk, _ = path
    before, after = _patient_of(plan, ch.table, ch.old), _patient_of(plan, ch.table, ch.new)
    if before != after:
        what = "patient" if fk == "patient_id" else f"patient's {path[1].replace('_', ' ')}"
        out.append(
            finding(
                "RECORD-MOVE",
                ch.table,
                ch.pk,
                fk,
                table=ch.table,
                field=fk,
                value=ch.new.get(fk),
                what=what,
            )
        )
    return out


# ---------------------------------------------------------------------------------- gate 7
def _build_charts(uow: UnitOfWork, plan: Plan) -> None:
    """Load the touched patients' charts (``plan.before``) and apply the plan (``plan.after``)."""
    placed: list[tuple[int, str, dict[str, Any] | None, int | None, int]] = []
    for ins in plan.inserts:
        if ins.table in PATIENT_PATH:
            for row in ins.rows:
                pid = _patient_of(plan, ins.table, row)
                assert pid is not None
                placed.append((pid, ins.table, row, None, 0))
    for ch in plan.changes:
        if ch.table in PATIENT_PATH:
            old_pid = _patient_of(plan, ch.table, ch.old)
            new_pid = None if ch.new is None else _patient_of(plan, ch.table, ch.new)
            assert old_pid is not None
            placed.append((old_pid, ch.table, ch.new, ch.pk, new_pid or old_pid))
    touched = {p for p, *_ in placed} | {ch.pk for ch in plan.changes if ch.table == "patients"}
    touched |= plan.touched
    touched |= {r["id"] for ins in plan.inserts if ins.table == "patients" for r in ins.rows}
    existing = [p for p in touched if plan.saved_patients.get(p) is not None]
    plan.before = load_charts(uow.session, existing)
    plan.after = {pid: chart.copy() for pid, chart in plan.before.items()}
    for ins in plan.inserts:
        if ins.table == "patients":
            for row in ins.rows:
                plan.after[row["id"]] = Chart(row)
    for ch in plan.changes:
        if ch.table == "patients" and ch.new is not None:
            plan.after[ch.pk].patient = dict(ch.new)
    for pid, table, placed_row, old_pk, new_pid in placed:
        if old_pk is None:
            assert placed_row is not None
            plan.after[pid].add(table, placed_row)
            continue
        plan.after[pid].remove(table, old_pk)
        if placed_row is not None:
            plan.after[new_pid].replace(table, placed_row)


def charts(uow: UnitOfWork, plan: Plan) -> None:
    """Gate 7: the state machine (STATE-TRANSITION, the new states) and every chart check; a
    finding the change brings refuses it."""
    _build_charts(uow, plan)
    found: list[Finding] = []
    computed = {
        r["id"]
        for ins in plan.inserts
        if ins.table == "patients"
        for r in ins.rows
        if r["id"] in plan.compute_status
    }
    for pid, after in plan.after.items():
        before = plan.before.get(pid)
        old = None if before is None else before.patient["status"]
        if before is not None and old is not None:
            why = transition_problem(plan.action, old)
            if why is not None:
                found.append(
                    finding(
                        "STATE-TRANSITION",
                        "patients",
                        pid,
                        "status",
                        study_id=before.patient["study_id"],
                        status=old.value.replace("_", " "),
                        action=why,
                    )
                )
                continue
        if before is not None or pid in computed:
            status = next_status(plan.action, old, after)
            after.patient["status"] = status  # a new patient's chart holds its inserted row
            if before is not None and status != old:
                plan.statuses[pid] = status
    _refuse(found, plan)
    ctx = uow.context
    for pid, after in plan.after.items():
        before = plan.before.get(pid)
        now = chart_findings(after, ctx)
        if now and before is not None:
            now = new_findings(chart_findings(before, ctx), now)
        found.extend(now)
    _refuse(found, plan)


Gate = Callable[["UnitOfWork", Plan], None]
#: Every write passes these gates, in this order.
GATES: tuple[Gate, ...] = (
    _who_and_why,
    _role,
    _values,
    _versions,
    identifiers,
    links,
    sites,
    charts,
)
