"""The rules of a scan: it measures something, and the mRECIST engine can assess it.

A scan (:class:`hcctrial.store.models.ImagingAssessment`) is read by the mRECIST engine -- the
patient page's response, the course engine's next step (PD ends the treatment), the analysis's
best overall response -- through one conversion (:mod:`hcctrial.derive.scans`).

- SCAN-LESIONS: a scan is recorded with at least one lesion measurement. A scan without one
  says nothing the engine can read: as a baseline it leaves every later scan unassessable, as a
  follow-up it would be read as "every target not evaluable". Checked on the rows a write
  inserts (:func:`scan_lesions`, a gate of :data:`hcctrial.services.gates.GATES`).
- SCAN-ASSESSABLE: the engine can assess every scan of the patient, in date order, the first
  being the baseline (:func:`hcctrial.assess.mrecist_input.assessment_problems`): the baseline
  has a target or non-target lesion and each target is measurable, a follow-up's targets and
  non-targets are the baseline's (same organ), a new lesion has its size... A follow-up of a
  baseline the engine cannot assess is refused too.

Both apply to every action that writes scans or lesions -- the imaging form, the JSON API, the
CSV and REDCap imports (``Action.IMPORT``), the demo -- because the unit of work runs them on
every write (SCAN-ASSESSABLE is a chart check: a change is refused when it brings a finding the
chart did not have, so a scan saved before the rule existed does not block unrelated work). An import of a trial's own historical file is refused like a
form's save, as the other rules that judge a record's content refuse it (EXAM-VALUES,
DOSE-PLAUSIBLE, CYCLE-ORDER): the course engine and the analysis read the same scans, and a
series the engine cannot read would leave the patient with no response and no next step. The
file is corrected at its source; a lesion that was not measured is given without a diameter
(target) or with status not_evaluable (non-target), which the engine reads as not evaluable
(NE) rather than refusing it.

A module of its own so :mod:`hcctrial.services.checks` stays under the size limit; it registers
its chart check on import (``checks`` imports it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hcctrial.services.charts import Chart
from hcctrial.services.checks import RuleContext, chart_check
from hcctrial.services.rules import Finding, finding, refusal

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.plan import Plan
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["scan_lesions"]

_SCANS, _LESIONS = "imaging_assessments", "lesion_measurements"
#: the engine's path of the item inside the patient's input ("assessments[2].target[0]...")
_ITEM = re.compile(r"^assessments\[\d+\](?:\.|: )?")


def scan_lesions(uow: UnitOfWork, plan: Plan) -> None:
    """The gate of SCAN-LESIONS: every scan a write records comes with at least one lesion
    measurement of the same write (a form's rows, an API body's ``lesions``, an import's
    ``lesion_measurements.csv``). A gate rather than a chart check: deleting a scan's lesions
    one by one and then the scan (DELETE-REFERENCED: nothing disappears by cascade) stays
    possible, and a scan kept without its lesions is a follow-up the engine reads as not
    evaluable or a baseline SCAN-ASSESSABLE refuses to leave its follow-ups without."""
    scans = [row for ins in plan.inserts if ins.table == _SCANS for row in ins.rows]
    if not scans:
        return
    measured = {
        row.get("imaging_id") for ins in plan.inserts if ins.table == _LESIONS for row in ins.rows
    }
    found = [
        finding("SCAN-LESIONS", _SCANS, row["id"], None, date=row.get("assessment_date"))
        for row in scans
        if row["id"] not in measured
    ]
    if found:
        raise refusal(found, lines=plan.line_numbers())


def _series(chart: Chart) -> list[dict[str, Any]]:
    """The patient's scans in date order, one per date (a second scan of a date is RECORD-UNIQUE's
    to refuse; a saved scan before a new one of the same date)."""
    out: list[dict[str, Any]] = []
    days: set[Any] = set()
    rows = [r for r in chart.of(_SCANS) if r.get("assessment_date") is not None]
    for row in sorted(rows, key=lambda r: (r["assessment_date"], r["id"] < 0)):
        if row["assessment_date"] not in days:
            days.add(row["assessment_date"])
            out.append(row)
    return out


@chart_check("SCAN-ASSESSABLE", scope={_SCANS}, context={_LESIONS})
def _scan_assessable(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    from hcctrial.assess.mrecist_input import BASELINE_NOT_ASSESSABLE
    from hcctrial.derive.scans import imaging_record, scan_problems

    scans = _series(chart)
    if not scans:
        return
    lesions: dict[Any, list[dict[str, Any]]] = {}
    for row in chart.of(_LESIONS):
        lesions.setdefault(row.get("imaging_id"), []).append(row)
    records = [imaging_record(s, lesions.get(s["id"], ())) for s in scans]
    base = scans[0]["assessment_date"]
    for i, problem in sorted(scan_problems(records).items()):
        scan = scans[i]
        if i == 0 and scan["id"] not in lesions:
            continue  # SCAN-LESIONS says so
        if problem == BASELINE_NOT_ASSESSABLE:
            problem = f"its baseline, the scan of {base}, cannot be assessed"
        yield finding(
            "SCAN-ASSESSABLE",
            _SCANS,
            scan["id"],
            None,
            date=scan["assessment_date"],
            problem=_ITEM.sub("", problem),
        )
