"""Edit checks that raise a query instead of refusing (issue 19): a value that is possible but
worth a second look at the source.

- EDIT-LAB-RANGE: a lab value more than :data:`RANGE_FACTOR` times its upper limit of normal, or
  below its lower limit divided by :data:`RANGE_FACTOR` (limits as entered with the value);
- EDIT-LAB-JUMP: a lab value more than :data:`JUMP_FACTOR` times the patient's previous value of
  the same analyte, or less than that value divided by :data:`JUMP_FACTOR` (canonical units);
- EDIT-VISIT-WINDOW: a cycle whose day 1 lies outside its window from the regimen file
  (:func:`hcctrial.protocol.schedule.next_cycle_window`: 4-6 weeks after the previous cycle).

The refusing rules (:mod:`hcctrial.services.checks`) keep impossible values out; these only ask.
The unit of work runs them after every write of labs or cycles (not after an import: a file of
history is checked by its own review), on the patients written. A query is raised once per
record, field and rule (whatever its status: a closed query is not raised again). The thresholds
are hcctrial defaults (no published convention); the rules are in the registry
(:mod:`hcctrial.services.rules`, kind ``query``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.rules import rule
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import DataQuery, QueryStatus

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["JUMP_FACTOR", "RANGE_FACTOR", "TABLES", "edit_findings", "raise_automatic_queries"]

#: A lab value beyond this many times its normal limit raises a query (hcctrial default).
RANGE_FACTOR = 10.0
#: A lab value this many times above or below the previous one raises a query (hcctrial default).
JUMP_FACTOR = 5.0
#: The tables whose writes start the edit checks.
TABLES = frozenset({"lab_results", "treatment_cycles"})

Finding = tuple[str, str, int, str, str]  # rule id, form, record id, field, question


def _lab_findings(labs: list[Any]) -> list[Finding]:
    out: list[Finding] = []
    previous: dict[str, Any] = {}
    for lab in sorted(labs, key=lambda x: (x.sample_date, x.id)):
        v = lab.value_entered
        unit = lab.unit_entered
        if lab.uln and v > RANGE_FACTOR * lab.uln:
            text = rule("EDIT-LAB-RANGE").format(
                analyte=lab.analyte,
                value=f"{v:g} {unit}",
                how=f"more than {RANGE_FACTOR:g} times the upper limit of normal ({lab.uln:g})",
            )
            out.append(("EDIT-LAB-RANGE", "lab_results", lab.id, "value_entered", text))
        elif lab.lln and v < lab.lln / RANGE_FACTOR:
            text = rule("EDIT-LAB-RANGE").format(
                analyte=lab.analyte,
                value=f"{v:g} {unit}",
                how=f"below a {RANGE_FACTOR:g}th of the lower limit of normal ({lab.lln:g})",
            )
            out.append(("EDIT-LAB-RANGE", "lab_results", lab.id, "value_entered", text))
        before = previous.get(lab.analyte)
        if before is not None and before.canonical_value > 0 and lab.canonical_value > 0:
            ratio = lab.canonical_value / before.canonical_value
            if ratio > JUMP_FACTOR or ratio < 1 / JUMP_FACTOR:
                text = rule("EDIT-LAB-JUMP").format(
                    analyte=lab.analyte,
                    value=f"{v:g} {unit}",
                    previous=f"{before.value_entered:g} {before.unit_entered}",
                    day=before.sample_date,
                )
                out.append(("EDIT-LAB-JUMP", "lab_results", lab.id, "value_entered", text))
        previous[lab.analyte] = lab
    return out


def _cycle_findings(cycles: list[Any], regimen: Any) -> list[Finding]:
    from hcctrial.protocol.schedule import next_cycle_window

    out: list[Finding] = []
    ordered = sorted(cycles, key=lambda c: c.cycle_number)
    for prev, cyc in pairwise(ordered):
        w = next_cycle_window(prev.cycle_date, regimen)
        if not w.earliest <= cyc.cycle_date <= w.latest:
            text = rule("EDIT-VISIT-WINDOW").format(
                cycle=cyc.cycle_number,
                day=cyc.cycle_date,
                earliest=w.earliest,
                latest=w.latest,
            )
            out.append(("EDIT-VISIT-WINDOW", "treatment_cycles", cyc.id, "cycle_date", text))
    return out


def edit_findings(session: Any, patient_id: int, regimen: Any) -> list[Finding]:
    """Every edit-check finding of one patient's labs and cycles (Core rows of the columns the
    checks read: no ORM objects, ~1 ms for 100 labs)."""
    from sqlalchemy import select

    lab, cyc = m.table_of(m.LabResult), m.table_of(m.TreatmentCycle)
    conn = session.connection()
    labs = list(
        conn.execute(
            select(
                lab.c.id,
                lab.c.sample_date,
                lab.c.analyte,
                lab.c.value_entered,
                lab.c.unit_entered,
                lab.c.canonical_value,
                lab.c.uln,
                lab.c.lln,
            ).where(lab.c.patient_id == patient_id)
        )
    )
    cycles = list(
        conn.execute(
            select(cyc.c.id, cyc.c.cycle_number, cyc.c.cycle_date).where(
                cyc.c.patient_id == patient_id
            )
        )
    )
    return _lab_findings(labs) + _cycle_findings(cycles, regimen)


def raise_automatic_queries(uow: UnitOfWork, patient_ids: Iterable[int]) -> list[int]:
    """Raise a query for each new edit-check finding of ``patient_ids``; return their ids."""
    from sqlalchemy import select

    session = uow.session
    raised: list[int] = []
    for pid in sorted(set(patient_ids)):
        found = edit_findings(session, pid, uow.regimen)
        if not found:
            continue
        dq = m.table_of(DataQuery)
        seen = set(
            session.connection().execute(
                select(dq.c.rule_id, dq.c.form, dq.c.record_id, dq.c.field).where(
                    dq.c.patient_id == pid, dq.c.rule_id.is_not(None)
                )
            )
        )
        for rule_id, form, record_id, field, text in found:
            if (rule_id, form, record_id, field) in seen:
                continue
            row = {
                "patient_id": pid,
                "form": form,
                "record_id": record_id,
                "field": field,
                "text": text,
                "status": QueryStatus.OPEN,
                "raised_by": "edit check",
                "rule_id": rule_id,
            }
            q = db.create(
                session, DataQuery, row, actor=uow.actor.username, reason=f"edit check {rule_id}"
            )
            raised.append(q.id)
    return raised
