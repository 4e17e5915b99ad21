"""Gate 7 of every write: the patient's state machine and the rules comparing records.

The charts of the patients a plan touches are loaded (before) and the plan applied to copies
(after); the state machine moves each patient (STATE-TRANSITION refuses what its state does not
allow) and every chart check of :mod:`hcctrial.services.checks` runs on the charts after the
change: a finding the change brings -- one the charts did not have before -- refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hcctrial.services.charts import PATIENT_PATH, Chart, add_tables, load_charts
from hcctrial.services.checks import PATIENT, chart_findings, checks_for, new_findings
from hcctrial.services.links import patient_of
from hcctrial.services.plan import Plan
from hcctrial.services.rules import Finding, finding, refusal
from hcctrial.services.states import STATE_TABLES, next_status, transition_problem

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["charts"]


def _refuse(found: Sequence[Finding], plan: Plan) -> None:
    if found:
        raise refusal(found, lines=plan.line_numbers())


# ---------------------------------------------------------------------------------- gate 7
def _changed_tables(plan: Plan) -> set[str]:
    """The chart tables the plan writes, and "patients" when it writes a patient row."""
    changed = {ins.table for ins in plan.inserts if ins.table in PATIENT_PATH}
    changed |= {ch.table for ch in plan.changes if ch.table in PATIENT_PATH}
    if any(ins.table == "patients" for ins in plan.inserts) or any(
        ch.table == "patients" for ch in plan.changes
    ):
        changed.add(PATIENT)
    return changed


def _placed(plan: Plan) -> list[tuple[int, str, dict[str, Any] | None, int | None, int]]:
    """(patient, table, row or None, id of the changed record or None, patient after) of every
    row the plan inserts, changes or deletes."""
    placed: list[tuple[int, str, dict[str, Any] | None, int | None, int]] = []
    for ins in plan.inserts:
        if ins.table in PATIENT_PATH:
            for row in ins.rows:
                pid = patient_of(plan, ins.table, row)
                assert pid is not None
                placed.append((pid, ins.table, row, None, 0))
    for ch in plan.changes:
        if ch.table in PATIENT_PATH:
            old_pid = patient_of(plan, ch.table, ch.old)
            new_pid = None if ch.new is None else patient_of(plan, ch.table, ch.new)
            assert old_pid is not None
            placed.append((old_pid, ch.table, ch.new, ch.pk, new_pid or old_pid))
    return placed


def _build_charts(uow: UnitOfWork, plan: Plan, tables: frozenset[str]) -> None:
    """Load the touched patients' charts with ``tables`` (``plan.before``) and apply the plan
    to copies (``plan.after``)."""
    placed = _placed(plan)
    touched = {p for p, *_ in placed} | {ch.pk for ch in plan.changes if ch.table == "patients"}
    touched |= plan.touched
    touched |= {r["id"] for ins in plan.inserts if ins.table == "patients" for r in ins.rows}
    existing = [p for p in touched if plan.saved_patients.get(p) is not None]
    plan.before = load_charts(uow.session, existing, tables, patient_rows=plan.saved_patients)
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


def _move_states(plan: Plan) -> list[Finding]:
    """The state machine: STATE-TRANSITION, and each patient's state after the change."""
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
    return found


def charts(uow: UnitOfWork, plan: Plan) -> None:
    """Gate 7: the state machine (STATE-TRANSITION, the new states) and the chart checks the
    change can affect (:func:`hcctrial.services.checks.checks_for`); a finding the change
    brings refuses it.

    Only the tables those checks read are loaded: a lab needs the patient's labs, screening,
    follow-up and withdrawal, not the scans. When a patient's state changes, the checks that
    read the state join, with their tables.
    """
    changed = _changed_tables(plan)
    specs, needed = checks_for(changed)
    tables = needed | STATE_TABLES | (changed - {PATIENT})
    _build_charts(uow, plan, tables)
    _refuse(_move_states(plan), plan)
    if plan.statuses and PATIENT not in changed:
        changed.add(PATIENT)
        specs, needed = checks_for(changed)
        extra = needed - tables - {PATIENT}
        if extra:
            add_tables(uow.session, plan.before, extra)
            for pid, saved in plan.before.items():
                for table in extra:
                    plan.after[pid].rows[table] = list(saved.of(table))
    ctx = uow.context
    found: list[Finding] = []
    for pid, after in plan.after.items():
        before = plan.before.get(pid)
        now = chart_findings(after, ctx, specs)
        if now and before is not None:
            now = new_findings(chart_findings(before, ctx, specs), now)
        found.extend(now)
    _refuse(found, plan)
