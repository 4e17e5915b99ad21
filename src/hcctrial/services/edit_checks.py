"""Edit checks that raise a query instead of refusing (issue 19): a value that is possible but
worth a second look at the source.

- EDIT-LAB-RANGE: a lab value more than :data:`RANGE_FACTOR` times its upper limit of normal, or
  below its lower limit divided by :data:`RANGE_FACTOR` (limits as entered with the value);
- EDIT-LAB-JUMP: a lab value more than :data:`JUMP_FACTOR` times the patient's previous value of
  the same analyte, or less than that value divided by :data:`JUMP_FACTOR` (canonical units);
- neither lab check looks at the tumour marker AFP (:data:`UNCHECKED_ANALYTES`): in
  hepatocellular carcinoma it is expected far above its normal limit (the demo's first import
  raised 40 range queries on AFP alone) and it moves by orders of magnitude with the tumour's
  response, so a factor says nothing about an entry error there;
- EDIT-VISIT-WINDOW: a cycle whose day 1 lies outside its window from the regimen file
  (:func:`hcctrial.protocol.schedule.next_cycle_window`: 4-6 weeks after the previous cycle).

The refusing rules (:mod:`hcctrial.services.checks`) keep impossible values out; these only ask.
The unit of work runs them (:func:`raise_automatic_queries`, the one keeper) after every write of
labs or cycles, whatever the door -- a form, the JSON API, an import (CSV, REDCap, the demo's
generated trial) -- on the patients written, in the write's transaction: an import refused is
refused whole, its queries too. A query is raised once per record, field and rule (whatever its
status: a closed query is not raised again; a re-imported record with a new id is a new record).
An import is checked in one pass: the labs and cycles of all its patients and their earlier
automatic queries are read 500 patients per query, the new queries written in one audited insert
per rule (``docs/performance.md``). The thresholds are hcctrial defaults (no published
convention); the rules are in the registry (:mod:`hcctrial.services.rules`, kind ``query``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.rules import rule
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import DataQuery, QueryStatus

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = [
    "JUMP_FACTOR",
    "RAISED_BY",
    "RANGE_FACTOR",
    "TABLES",
    "UNCHECKED_ANALYTES",
    "edit_findings",
    "findings_of",
    "raise_automatic_queries",
]

#: A lab value beyond this many times its normal limit raises a query (hcctrial default).
RANGE_FACTOR = 10.0
#: A lab value this many times above or below the previous one raises a query (hcctrial default).
JUMP_FACTOR = 5.0
#: Analytes the lab checks leave out: the tumour marker, whose range and changes are the disease's
#: (hcctrial default; see the module docstring).
UNCHECKED_ANALYTES = frozenset({"afp"})
#: The tables whose writes start the edit checks.
TABLES = frozenset({"lab_results", "treatment_cycles"})
#: Who raised an automatic query (``data_queries.raised_by``).
RAISED_BY = "edit check"
_CHUNK = 500

Finding = tuple[str, str, int, str, str]  # rule id, form, record id, field, question


def _lab_findings(labs: list[Any]) -> list[Finding]:
    """The findings of one patient's labs: rows (patient id, id, sample date, analyte, value,
    unit, canonical value, ULN, LLN), in any order (unpacked as tuples: ~70,000 labs of an
    import of 1,000 patients are checked in about 0.1 s)."""
    out: list[Finding] = []
    previous: dict[str, tuple[Any, ...]] = {}
    for lab in sorted(labs, key=itemgetter(2, 1)):  # (sample date, id)
        _, lid, _, analyte, v, unit, canonical, uln, lln = lab
        if analyte in UNCHECKED_ANALYTES:
            continue
        if uln and v > RANGE_FACTOR * uln:
            text = rule("EDIT-LAB-RANGE").format(
                analyte=analyte,
                value=f"{v:g} {unit}",
                how=f"more than {RANGE_FACTOR:g} times the upper limit of normal ({uln:g})",
            )
            out.append(("EDIT-LAB-RANGE", "lab_results", lid, "value_entered", text))
        elif lln and v < lln / RANGE_FACTOR:
            text = rule("EDIT-LAB-RANGE").format(
                analyte=analyte,
                value=f"{v:g} {unit}",
                how=f"below a {RANGE_FACTOR:g}th of the lower limit of normal ({lln:g})",
            )
            out.append(("EDIT-LAB-RANGE", "lab_results", lid, "value_entered", text))
        before = previous.get(analyte)
        if before is not None and before[6] > 0 and canonical > 0:
            ratio = canonical / before[6]
            if ratio > JUMP_FACTOR or ratio < 1 / JUMP_FACTOR:
                text = rule("EDIT-LAB-JUMP").format(
                    analyte=analyte,
                    value=f"{v:g} {unit}",
                    previous=f"{before[4]:g} {before[5]}",
                    day=before[2],
                )
                out.append(("EDIT-LAB-JUMP", "lab_results", lid, "value_entered", text))
        previous[analyte] = lab
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


def _rows_per_patient(conn: Any, stmt: Any, column: Any, ids: list[int]) -> dict[int, list[Any]]:
    """The rows of ``stmt`` for the patients ``ids`` (500 per query), grouped by patient id."""
    out: dict[int, list[Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(stmt.where(column.in_(ids[start : start + _CHUNK]))).all()
        for row in rows:
            out.setdefault(row[0], []).append(row)
    return out


def findings_of(session: Any, patient_ids: Iterable[int], regimen: Any) -> dict[int, list[Finding]]:
    """patient id -> every edit-check finding of the patient's labs and cycles (patients without
    one are left out). One pass over all the patients: the columns the checks read are read as
    Core rows, 500 patients per query (no ORM objects; an import of 1,000 patients reads its
    ~70,000 labs in two queries)."""
    from sqlalchemy import select

    ids = sorted({int(pid) for pid in patient_ids})
    if not ids:
        return {}
    lab, cyc = m.table_of(m.LabResult), m.table_of(m.TreatmentCycle)
    conn = session.connection()
    labs = _rows_per_patient(
        conn,
        select(
            lab.c.patient_id,
            lab.c.id,
            lab.c.sample_date,
            lab.c.analyte,
            lab.c.value_entered,
            lab.c.unit_entered,
            lab.c.canonical_value,
            lab.c.uln,
            lab.c.lln,
        ),
        lab.c.patient_id,
        ids,
    )
    cycles = _rows_per_patient(
        conn,
        select(cyc.c.patient_id, cyc.c.id, cyc.c.cycle_number, cyc.c.cycle_date),
        cyc.c.patient_id,
        ids,
    )
    out: dict[int, list[Finding]] = {}
    for pid in ids:
        found = _lab_findings(labs.get(pid, [])) + _cycle_findings(cycles.get(pid, []), regimen)
        if found:
            out[pid] = found
    return out


def edit_findings(session: Any, patient_id: int, regimen: Any) -> list[Finding]:
    """Every edit-check finding of one patient's labs and cycles (:func:`findings_of`)."""
    return findings_of(session, [patient_id], regimen).get(patient_id, [])


def _raised_before(session: Any, patient_ids: list[int]) -> set[tuple[Any, ...]]:
    """(patient, rule, form, record, field) of every automatic query of ``patient_ids``, whatever
    its status (500 patients per query)."""
    from sqlalchemy import select

    dq = m.table_of(DataQuery)
    seen: set[tuple[Any, ...]] = set()
    for start in range(0, len(patient_ids), _CHUNK):
        stmt = select(dq.c.patient_id, dq.c.rule_id, dq.c.form, dq.c.record_id, dq.c.field).where(
            dq.c.patient_id.in_(patient_ids[start : start + _CHUNK]), dq.c.rule_id.is_not(None)
        )
        seen.update(tuple(r) for r in session.connection().execute(stmt))
    return seen


def raise_automatic_queries(uow: UnitOfWork, patient_ids: Iterable[int]) -> list[int]:
    """Raise a query for each new edit-check finding of ``patient_ids``; return their ids.

    One pass for all the patients, whatever their number (a form's one patient, an import's
    thousand): the findings (:func:`findings_of`) and the queries raised before are read in bulk,
    the new queries written with one audited insert per rule (the audit reason names the rule).
    """
    session = uow.session
    found = findings_of(session, patient_ids, uow.regimen)
    if not found:
        return []
    seen = _raised_before(session, sorted(found))
    per_rule: dict[str, list[dict[str, Any]]] = {}  # first rule found first: ids in that order
    for pid, findings in found.items():
        for rule_id, form, record_id, field, text in findings:
            if (pid, rule_id, form, record_id, field) in seen:
                continue
            seen.add((pid, rule_id, form, record_id, field))
            per_rule.setdefault(rule_id, []).append(
                {
                    "patient_id": pid,
                    "form": form,
                    "record_id": record_id,
                    "field": field,
                    "text": text,
                    "status": QueryStatus.OPEN,
                    "raised_by": RAISED_BY,
                    "rule_id": rule_id,
                }
            )
    raised: list[int] = []
    for rule_id, rows in per_rule.items():
        raised += db.create_many(
            session, DataQuery, rows, actor=uow.actor.username, reason=f"edit check {rule_id}"
        )
    return raised
