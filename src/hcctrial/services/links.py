"""Gates 5 and 6 of every write: the links between records and the sites they belong to.

Gate 5 (:func:`links`) resolves every record of a plan to its patient -- through its parent for a
dose line, a lesion or a criterion, from the plan or from the database -- and checks that the
parents exist (PARENT-EXISTS), that what is unique in the whole database stays unique (study ids,
user names, site codes: RECORD-UNIQUE) and that nothing deleted is referred to
(DELETE-REFERENCED). Gate 6 (:func:`sites`) checks that the acting user works at the site of every
patient the change touches, the record's and its parents', before and after the change
(AUTH-SITE), then that no record moves to another patient or site and no status is edited
(RECORD-MOVE, STATUS-DIRECT).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.charts import PATIENT_PATH
from hcctrial.services.permissions import sees_site
from hcctrial.services.plan import MODELS, Plan, PlannedChange
from hcctrial.services.rules import Finding, finding, refusal
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["links", "patient_of", "sites"]


def _refuse(found: Sequence[Finding], plan: Plan) -> None:
    if found:
        raise refusal(found, lines=plan.line_numbers())


# ---------------------------------------------------------------------------------- gate 5
@cache
def _by_ids(table: str, columns: tuple[str, ...]) -> Any:
    """SELECT ``columns`` of ``table`` WHERE id IN :ids (built once; compiled once)."""
    from sqlalchemy import bindparam, select

    t = m.table_of(MODELS[table])
    return select(*(t.c[c] for c in columns)).where(t.c.id.in_(bindparam("ids", expanding=True)))


def _select_ids(
    session: Session, table: str, columns: Sequence[str], ids: Iterable[int]
) -> list[dict[str, Any]]:
    wanted = sorted({int(i) for i in ids if isinstance(i, int) and i > 0})
    if not wanted:
        return []
    stmt = _by_ids(table, tuple(columns))
    out: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 500):
        result = session.execute(stmt, {"ids": wanted[start : start + 500]})
        keys = list(result.keys())
        out.extend(dict(zip(keys, row, strict=True)) for row in result)
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


def patient_of(plan: Plan, table: str, row: dict[str, Any]) -> int | None:
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
                check(ins.table, row["id"], fk, patient_of(plan, ins.table, row))
    for pid in sorted(plan.touched):
        check("patients", pid, None, pid)
    for ch in plan.changes:
        if ch.table in PATIENT_PATH or ch.table == "patients":
            fk = PATIENT_PATH.get(ch.table, ("site_id", ""))[0]
            check(ch.table, ch.pk, fk, patient_of(plan, ch.table, ch.old))
            if ch.new is not None:
                check(ch.table, ch.pk, fk, patient_of(plan, ch.table, ch.new))
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
    before, after = patient_of(plan, ch.table, ch.old), patient_of(plan, ch.table, ch.new)
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
